#!/usr/bin/env node
// `npm run release [-- --out DIR] [-- --skip-build] [-- --json]`: builds every workspace, then packs
// the published packages into release/ (or --out) with a SHA256SUMS file beside them.
//
// Published: @palyra/agent (palyra-node), @palyra/daemon (palyrad) and @palyra/plugin-sdk (what a
// third-party plugin imports). The other workspaces (proto, shared, the built-in plugins) are
// internal: they are never published on their own but bundled (bundleDependencies) into the
// tarballs that need them. So `npm install -g palyra-agent-X.tgz` needs nothing but the tarball
// and the npm registry (for third-party dependencies): npm never asks the registry for an
// internal @palyra/* package (no workspace links, no dependency-confusion window on a scope we
// do not control yet), and there is no build step on the target (dist/ is in the tarball).
//
// Versions are kept in step: every workspace must carry the root package's version and every
// internal dependency must name exactly that version, else the release stops before packing.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCOPE = '@palyra/';
/** The packages that are installed by users; everything else under @palyra/ is bundled into them. */
export const PUBLISHED = ['@palyra/agent', '@palyra/daemon', '@palyra/plugin-sdk'];
export const CHECKSUM_FILE = 'SHA256SUMS';

export class ReleaseError extends Error {}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** The workspaces of the root package.json, by package name: { name, dir, manifest }. */
function loadWorkspaces(rootManifest) {
  const byName = new Map();
  for (const pattern of rootManifest.workspaces) {
    // Only the two forms the root uses: `dir` and `dir/*`.
    const dirs = pattern.endsWith('/*')
      ? readdirSync(join(ROOT, pattern.slice(0, -2)), { withFileTypes: true })
          .filter((e) => e.isDirectory() && existsSync(join(ROOT, pattern.slice(0, -2), e.name, 'package.json')))
          .map((e) => join(ROOT, pattern.slice(0, -2), e.name))
      : [join(ROOT, pattern)];
    for (const dir of dirs) {
      const manifest = readJson(join(dir, 'package.json'));
      byName.set(manifest.name, { name: manifest.name, dir, manifest });
    }
  }
  return byName;
}

/** Every version and every internal dependency range must be the root's version. */
export function checkVersionsInStep(rootManifest, workspaces) {
  const version = rootManifest.version;
  const problems = [];
  for (const ws of workspaces.values()) {
    if (ws.manifest.version !== version) problems.push(`${ws.name} is at ${ws.manifest.version}, the root at ${version}`);
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, range] of Object.entries(ws.manifest[field] ?? {})) {
        if (!dep.startsWith(SCOPE)) continue;
        if (!workspaces.has(dep)) problems.push(`${ws.name} depends on ${dep}, which is no workspace`);
        else if (range !== version) problems.push(`${ws.name} depends on ${dep}@${range}, not ${version}`);
      }
    }
  }
  for (const name of PUBLISHED) if (!workspaces.has(name)) problems.push(`published package ${name} is no workspace`);
  if (problems.length > 0) throw new ReleaseError(`versions are not in step:\n  ${problems.join('\n  ')}`);
  return version;
}

function run(command, args, cwd, shell = false) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], shell });
  if (result.status !== 0) {
    throw new ReleaseError(`${[command, ...args].join(' ')} failed (${result.status ?? result.signal}) in ${cwd}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

// Windows' npm is a .cmd file, which Node spawns only through a shell (the arguments here are ours, no user input).
const npm = (args, cwd) => (process.platform === 'win32' ? run('npm.cmd', args, cwd, true) : run('npm', args, cwd));

/** What `npm pack` would put in each workspace's tarball (its `files`, package.json, README...). */
function packFileLists(workspaces) {
  const listed = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts', '--workspaces'], ROOT));
  const files = new Map();
  for (const entry of listed) files.set(entry.name, entry.files.map((f) => f.path));
  for (const ws of workspaces.values()) {
    const list = files.get(ws.name);
    if (list === undefined) throw new ReleaseError(`npm pack listed nothing for ${ws.name}`);
    const main = ws.manifest.main;
    if (main !== undefined && !list.includes(main)) throw new ReleaseError(`${ws.name}: ${main} is not built (run without --skip-build)`);
  }
  return files;
}

/** The internal packages `name` needs, transitively (not itself). */
function internalClosure(name, workspaces) {
  const seen = new Set();
  const visit = (n) => {
    for (const dep of Object.keys(workspaces.get(n).manifest.dependencies ?? {})) {
      if (dep.startsWith(SCOPE) && !seen.has(dep)) {
        seen.add(dep);
        visit(dep);
      }
    }
  };
  visit(name);
  seen.delete(name);
  return [...seen].sort();
}

/** A manifest as shipped: no scripts (the root's `prepare` builds; nothing builds on the target), no dev dependencies. */
function shippedManifest(manifest) {
  return Object.fromEntries(Object.entries(manifest).filter(([key]) => key !== 'scripts' && key !== 'devDependencies'));
}

/**
 * Build leftovers npm's `files: ["dist"]` would ship: tsc's incremental state, and source maps
 * that point at src/, which is not shipped (they would only make stack traces name missing files).
 */
const NOT_SHIPPED = /(\.tsbuildinfo|\.map)$/;

function copyPackage(ws, fileList, dest) {
  for (const path of fileList) {
    if (path === 'package.json' || NOT_SHIPPED.test(path)) continue;
    mkdirSync(dirname(join(dest, path)), { recursive: true });
    cpSync(join(ws.dir, path), join(dest, path));
  }
}

/**
 * Stages one published package in `stage`: its files, its internal dependencies under
 * node_modules/@palyra/ as bundled dependencies, and their third-party dependencies lifted into
 * its own `dependencies` (so npm installs them beside the bundle, where Node resolves them).
 */
function stagePackage(ws, workspaces, files, stage) {
  copyPackage(ws, files.get(ws.name), stage);
  const bundled = internalClosure(ws.name, workspaces);
  const dependencies = { ...(ws.manifest.dependencies ?? {}) };
  for (const dep of bundled) {
    const inner = workspaces.get(dep);
    for (const field of ['peerDependencies', 'optionalDependencies']) {
      // Only `dependencies` are lifted below; anything else would stay behind in the bundle, unfetched.
      if (Object.keys(inner.manifest[field] ?? {}).length > 0) throw new ReleaseError(`${dep} has ${field}, which a bundled package cannot have: use dependencies`);
    }
    copyPackage(inner, files.get(dep), join(stage, 'node_modules', dep));
    // The bundled copy keeps only its internal dependencies (bundled beside it); its third-party
    // ones move up to the published package. npm counts a dependency of a bundled package that
    // lands in the bundler's node_modules as part of the bundle: it would neither fetch it nor
    // find it in the tarball (protobufjs's postinstall failed so), so none may stay here.
    const innerDependencies = {};
    for (const [third, range] of Object.entries(inner.manifest.dependencies ?? {})) {
      if (third.startsWith(SCOPE)) {
        innerDependencies[third] = range;
        continue;
      }
      if (dependencies[third] !== undefined && dependencies[third] !== range) {
        // One range per dependency: two would make npm nest copies, and a native one twice.
        throw new ReleaseError(`${ws.name}: ${third} is wanted as ${dependencies[third]} and as ${range} (by ${dep}); use one range`);
      }
      dependencies[third] = range;
    }
    const innerManifest = { ...shippedManifest(inner.manifest), dependencies: innerDependencies };
    writeFileSync(join(stage, 'node_modules', dep, 'package.json'), `${JSON.stringify(innerManifest, null, 2)}\n`);
  }
  const manifest = {
    ...shippedManifest(ws.manifest),
    dependencies: Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => a.localeCompare(b))),
    publishConfig: { access: 'public' },
  };
  if (bundled.length > 0) manifest.bundleDependencies = bundled;
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return bundled;
}

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

export function release({ out = join(ROOT, 'release'), build = true, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const started = Date.now();
  const rootManifest = readJson(join(ROOT, 'package.json'));
  const workspaces = loadWorkspaces(rootManifest);
  const version = checkVersionsInStep(rootManifest, workspaces);
  if (build) {
    log('release: building (tsc -b)');
    run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], ROOT);
  }
  const files = packFileLists(workspaces);
  mkdirSync(out, { recursive: true });
  // Only what an earlier release wrote here goes: never a file someone else put in --out.
  for (const entry of readdirSync(out)) if (entry.endsWith('.tgz') || entry === CHECKSUM_FILE) rmSync(join(out, entry));
  const staging = mkdtempSync(join(tmpdir(), 'palyra-release-'));
  const packages = [];
  try {
    for (const name of PUBLISHED) {
      const stage = join(staging, name.slice(SCOPE.length));
      const bundled = stagePackage(workspaces.get(name), workspaces, files, stage);
      const [packed] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', out], stage));
      packages.push({ name, version, file: packed.filename, size: packed.size, unpackedSize: packed.unpackedSize, bundled });
      log(`release: ${packed.filename} (${Math.round(packed.size / 1024)} KiB${bundled.length > 0 ? `, bundles ${bundled.join(' ')}` : ''})`);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  for (const p of packages) p.sha256 = sha256(join(out, p.file));
  // The format of sha256sum(1), so `sha256sum -c SHA256SUMS` checks the downloads.
  writeFileSync(join(out, CHECKSUM_FILE), packages.map((p) => `${p.sha256}  ${p.file}\n`).join(''));
  log(`release: ${packages.length} tarballs and ${CHECKSUM_FILE} in ${out} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return { version, out, packages };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, 'skip-build': { type: 'boolean' }, json: { type: 'boolean' } } });
  try {
    const result = release({ out: values.out === undefined ? undefined : resolve(values.out), build: values['skip-build'] !== true });
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (error) {
    if (!(error instanceof ReleaseError)) throw error;
    process.stderr.write(`release: ${error.message}\n`);
    process.exit(1);
  }
}
