import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { globalConfigSearchPlaces } from 'cosmiconfig';
import { afterEach, describe, expect, it } from 'vitest';
import { configSearchPlaces, GLOBAL_CONFIG_SEARCH_PLACES, loadConfigFile } from '../../src/config/index.js';

const DOCS = new URL('../../../docs/', import.meta.url);

/** The file names a docs section lists, `<name>` left as written. */
async function documentedPlaces(doc: string, from: string, to: string, names: readonly string[]): Promise<{ places: string[]; paths: string[] }> {
  const text = await readFile(new URL(doc, DOCS), 'utf8');
  const start = text.indexOf(from);
  const end = text.indexOf(to, start);
  expect(start, `${doc} has the section starting "${from}"`).toBeGreaterThanOrEqual(0);
  expect(end, `${doc} has the section ending "${to}"`).toBeGreaterThan(start);
  const tokens = [...text.slice(start, end).matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
  return {
    // File names: no space, quote, `=` or `$`; not a bare program name or an env var.
    places: tokens.filter((t) => /^[\w.<>-]+$/.test(t) && /[a-z]/.test(t) && !names.includes(t)),
    // A path inside a directory (`.config/x.json`) is a search place too: there must be none.
    paths: tokens.filter((t) => t.includes('/') && !t.endsWith('/')),
  };
}

const tempDirs: string[] = [];
afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('config search places: one list, in the loader, the docs checked against it', () => {
  it('the global places are the ones cosmiconfig really searches', () => {
    expect(GLOBAL_CONFIG_SEARCH_PLACES).toEqual(globalConfigSearchPlaces);
  });

  it('docs/configuration.md lists exactly the loader\'s places, in order', async () => {
    const { places, paths } = await documentedPlaces('configuration.md', '## Where the config file is found', 'The file is validated', ['palyra', 'palyra-node', '<name>']);
    expect(places).toEqual([...configSearchPlaces('<name>'), ...GLOBAL_CONFIG_SEARCH_PLACES]);
    expect(paths).toEqual([]);
  });

  it('docs/plugins.md lists exactly the agent\'s places, in order', async () => {
    const { places, paths } = await documentedPlaces('plugins.md', 'The agent reads its config with cosmiconfig', 'So `palyra-node.config.json`', ['palyra-node']);
    expect(places).toEqual([...configSearchPlaces('palyra-node'), ...GLOBAL_CONFIG_SEARCH_PLACES]);
    expect(paths).toEqual([]);
  });

  it('the loader finds a config at each listed place without --config, and at none of the names docs/plugins.md used to list', async () => {
    const contents: Record<string, string> = {
      json: '{"marker": "%"}',
      yaml: 'marker: "%"',
      yml: 'marker: "%"',
      js: 'module.exports = { marker: "%" };',
      mjs: 'export default { marker: "%" };',
      cjs: 'module.exports = { marker: "%" };',
    };
    const load = (cwd: string) =>
      loadConfigFile<{ marker: string }>({ name: 'palyra-node', schema: { type: 'object' }, envVar: 'PALYRA_NODE_CONFIG', env: {}, cwd });
    for (const place of configSearchPlaces('palyra-node')) {
      const dir = await mkdtemp(join(tmpdir(), 'palyra-search-'));
      tempDirs.push(dir);
      const ext = place.split('.').pop() as string;
      const body = place === 'package.json' ? '{"name": "x", "palyra-node": {"marker": "%"}}' : (contents[ext] ?? contents.yaml!);
      await writeFile(join(dir, place), body.replace('%', place));
      const found = await load(dir);
      expect(found.filepath, place).toBe(join(dir, place));
      expect(found.config.marker, place).toBe(place);
    }
    for (const place of ['.palyra-noderc.cjs', 'palyra-node.config.cjs', '.config/palyra-noderc.json']) {
      const dir = await mkdtemp(join(tmpdir(), 'palyra-search-'));
      tempDirs.push(dir);
      await mkdir(join(dir, '.config'), { recursive: true });
      await writeFile(join(dir, place), contents[place.split('.').pop() as string]!.replace('%', place));
      expect((await load(dir)).filepath, place).not.toBe(join(dir, place));
    }
  });
});
