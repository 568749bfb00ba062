/**
 * No runtime import cycle in the built packages. A cycle between ES modules makes one of them
 * see the other's bindings before they are initialised (a TDZ error, or undefined through a
 * namespace), depending on which is imported first. Type-only imports are gone from dist/,
 * so what is left is what Node loads. Dynamic import() is lazy and does not count.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { TempDirs } from '../helpers/processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;
const dirs = new TempDirs();

afterAll(() => dirs.cleanup());

async function jsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? jsFiles(join(dir, e.name)) : Promise.resolve(e.name.endsWith('.js') ? [join(dir, e.name)] : []))),
  );
  return nested.flat();
}

/** Every cycle of relative static imports among `files`, each as the list of files around it. */
async function importCycles(files: string[], base: string): Promise<string[][]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const source = await readFile(file, 'utf8');
    graph.set(file, [...source.matchAll(STATIC_IMPORT)].map((m) => resolve(dirname(file), m[1] ?? '')));
  }
  const onStack = new Set<string>();
  const done = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    onStack.add(file);
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (!graph.has(dep) || done.has(dep)) continue;
      if (onStack.has(dep)) cycles.push([...stack.slice(stack.indexOf(dep)), dep].map((f) => relative(base, f)));
      else visit(dep);
    }
    stack.pop();
    onStack.delete(file);
    done.add(file);
  };
  for (const file of graph.keys()) if (!done.has(file)) visit(file);
  return cycles;
}

describe('runtime import cycles', () => {
  it('finds a cycle where there is one', async () => {
    const dir = await dirs.make('palyra-cycles-');
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'a.js'), "import { b } from './sub/b.js';\nexport const a = 1;\n");
    await writeFile(join(dir, 'sub', 'b.js'), "export {\n  a as b,\n} from '../a.js';\n");
    await writeFile(join(dir, 'c.js'), "import './a.js';\nconst lazy = () => import('./c.js');\n");
    expect(await importCycles(await jsFiles(dir), dir)).toEqual([['a.js', 'sub/b.js', 'a.js']]);
  });

  it('has none in the built packages', async () => {
    const packages = ['shared', 'proto', 'daemon', 'agent', ...(await readdir(join(ROOT, 'plugins'))).map((p) => join('plugins', p))];
    const files = (await Promise.all(packages.map((p) => jsFiles(join(ROOT, p, 'dist'))))).flat();
    expect(files.length, 'build first: npx tsc -b').toBeGreaterThan(100);
    expect(await importCycles(files, ROOT)).toEqual([]);
  });
});
