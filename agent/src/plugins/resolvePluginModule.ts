import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PalyraError } from '@palyra/shared/errors';

/** Where a custom plugin's module is, and how to name it in messages and `host.plugins()`. */
export interface ResolvedPluginModule {
  /** What to pass to `import()`: a file URL, or a bare package specifier. */
  readonly specifier: string;
  /** The resolved file path, or the package name when Node resolves it. */
  readonly source: string;
}

/** Conditions tried in a package's `exports`, as Node's ESM loader does for `import()`. */
const CONDITIONS = new Set(['node', 'import', 'default']);

/** True when `use` is a path (absolute, `./`, `../`, `.` or a file: URL), not a package name. */
export function isPluginPath(use: string): boolean {
  return (
    isAbsolute(use) ||
    use === '.' ||
    use === '..' ||
    use.startsWith('./') ||
    use.startsWith('../') ||
    use.startsWith('.\\') ||
    use.startsWith('..\\') ||
    use.startsWith('file:')
  );
}

/**
 * Resolves a config entry's `use` to a module:
 * - a path (absolute, or relative to `baseDir`): a file, or a package directory whose
 *   package.json `exports["."]` / `main` (else index.js) is the entry;
 * - a package name (optionally with a subpath): looked up in node_modules from `baseDir`
 *   upwards, so plugins installed next to the config are found; otherwise left to Node's
 *   resolution from the agent's own install.
 * A path that does not exist, or a package entry that cannot be found, is
 * PALYRA_E_PLUGIN_LOAD_FAILED naming `use`.
 */
export async function resolvePluginModule(use: string, baseDir: string): Promise<ResolvedPluginModule> {
  if (isPluginPath(use)) {
    const path = use.startsWith('file:') ? fileURLToPath(use) : resolve(baseDir, use);
    const entry = await resolvePathEntry(use, path);
    return { specifier: pathToFileURL(entry).href, source: entry };
  }
  const parsed = parsePackageSpecifier(use);
  if (parsed === undefined) {
    throw loadFailed(use, `"${use}" is neither a path (start it with ./ or ../ or make it absolute) nor a package name`);
  }
  const packageDir = await findPackageDir(parsed.name, baseDir);
  if (packageDir === undefined) return { specifier: use, source: use };
  const entry = await resolvePackageEntry(use, packageDir, parsed.subpath);
  return { specifier: pathToFileURL(entry).href, source: use };
}

async function resolvePathEntry(use: string, path: string): Promise<string> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw loadFailed(use, `${path} does not exist (relative paths resolve against the config file's directory)`, error);
  });
  return info.isDirectory() ? resolvePackageEntry(use, path, '.') : path;
}

/** The file a package directory's `subpath` (`.` or `./x`) points to. */
async function resolvePackageEntry(use: string, packageDir: string, subpath: string): Promise<string> {
  const manifest = await readPackageJson(use, packageDir);
  if (manifest?.exports !== undefined && manifest.exports !== null) {
    const target = resolveExports(manifest.exports, subpath);
    if (target === undefined) {
      throw loadFailed(use, `${join(packageDir, 'package.json')} does not export "${subpath}" for import()`);
    }
    return requireFile(use, resolve(packageDir, target));
  }
  if (subpath !== '.') return requireFile(use, resolve(packageDir, subpath));
  if (typeof manifest?.main === 'string' && manifest.main !== '') {
    const main = resolve(packageDir, manifest.main);
    for (const candidate of [main, `${main}.js`, `${main}.mjs`, join(main, 'index.js')]) {
      if (await isFile(candidate)) return candidate;
    }
    throw loadFailed(use, `the "main" of ${join(packageDir, 'package.json')} (${manifest.main}) does not exist`);
  }
  for (const candidate of ['index.js', 'index.mjs']) {
    if (await isFile(join(packageDir, candidate))) return join(packageDir, candidate);
  }
  throw loadFailed(use, `${packageDir} has no package.json "exports" or "main" and no index.js`);
}

async function readPackageJson(use: string, packageDir: string): Promise<{ exports?: unknown; main?: unknown } | undefined> {
  const file = join(packageDir, 'package.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as { exports?: unknown; main?: unknown }) : undefined;
  } catch (error) {
    throw loadFailed(use, `${file} is not valid JSON: ${(error as Error).message}`, error);
  }
}

/**
 * Resolves `subpath` in a package.json `exports` field with the import conditions. Supports
 * a string, a conditions object, a subpath map, and arrays (first match); not `*` patterns.
 */
export function resolveExports(exports: unknown, subpath: string): string | undefined {
  if (typeof exports === 'string' || Array.isArray(exports)) return subpath === '.' ? resolveTarget(exports) : undefined;
  if (typeof exports !== 'object' || exports === null) return undefined;
  const keys = Object.keys(exports);
  const isSubpathMap = keys.length > 0 && keys.every((key) => key.startsWith('.'));
  if (!isSubpathMap) return subpath === '.' ? resolveTarget(exports) : undefined;
  return Object.hasOwn(exports, subpath) ? resolveTarget((exports as Record<string, unknown>)[subpath]) : undefined;
}

function resolveTarget(target: unknown): string | undefined {
  if (typeof target === 'string') return target.startsWith('./') ? target : undefined;
  if (Array.isArray(target)) {
    for (const item of target) {
      const resolved = resolveTarget(item);
      if (resolved !== undefined) return resolved;
    }
    return undefined;
  }
  if (typeof target === 'object' && target !== null) {
    for (const [condition, value] of Object.entries(target)) {
      if (!CONDITIONS.has(condition)) continue;
      const resolved = resolveTarget(value);
      if (resolved !== undefined) return resolved;
    }
  }
  return undefined;
}

/** `name` or `@scope/name`, plus the subpath (`.` or `./rest`). */
function parsePackageSpecifier(use: string): { name: string; subpath: string } | undefined {
  const match = /^((?:@[^/\\\s]+\/)?[^/\\\s@][^/\\\s]*)(\/.*)?$/.exec(use);
  if (match === null || match[1] === undefined) return undefined;
  return { name: match[1], subpath: match[2] === undefined ? '.' : `.${match[2]}` };
}

async function findPackageDir(name: string, baseDir: string): Promise<string | undefined> {
  let dir = resolve(baseDir);
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (await isDirectory(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function requireFile(use: string, path: string): Promise<string> {
  if (await isFile(path)) return path;
  throw loadFailed(use, `${path} does not exist`);
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

export function loadFailed(use: string, why: string, cause?: unknown): PalyraError {
  return new PalyraError('PALYRA_E_PLUGIN_LOAD_FAILED', `cannot load plugin "${use}": ${why}`, {
    details: { use },
    ...(cause === undefined ? {} : { cause }),
  });
}
