/**
 * `npm run release` and what it produces, as a new user meets it: the tarballs and SHA256SUMS,
 * then the agent and daemon tarballs installed with `npm install -g --prefix DIR` into an empty
 * prefix (nothing but the tarballs and the npm registry: the @palyra scope is pointed at a dead
 * registry, so an internal package fetched instead of bundled fails the install), the daemon
 * started from that install, the agent from that install paired with it, and dispatches run:
 * built-in plugins, and a third-party plugin built on the plugin-sdk tarball.
 *
 * The pack runs once per test run (kept in PALYRA_TEST_CACHE_DIR); the install is the slow
 * part (better-sqlite3 takes this workspace's own build as its prebuilt binary; see localSqlitePrebuild): see the
 * figures this file prints and docs/install.md.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseOneJson } from '../helpers/cliAssertions.js';
import type { NodeRow, PairingCodeJson, PendingRow, ReadyInfo } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, RunningProcess, stopProcesses, TEST_ENV, TempDirs, type CommandResult } from '../helpers/processes.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RELEASE_SCRIPT = join(ROOT, 'scripts', 'release.mjs');
/** A pack, then an install that may compile better-sqlite3 on a loaded 2-core machine. */
const INSTALL_TIMEOUT_MS = 600_000;

const dirs = new TempDirs();
afterEach(() => stopProcesses(), E2E_HOOK_TIMEOUT_MS);
afterAll(() => dirs.cleanup(), E2E_HOOK_TIMEOUT_MS);

interface Packed {
  name: string;
  version: string;
  file: string;
  sha256: string;
  bundled: string[];
}

/** Runs a program (no shell) with this process's environment minus PALYRA_*, plus `env`. */
function start(command: string, args: string[], env: NodeJS.ProcessEnv = {}, stdin?: string, cwd = tmpdir()): RunningProcess {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PALYRA_')));
  // The installed bins start with `#!/usr/bin/env node`: the node running the tests must be the one found.
  const path = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;
  const child = spawn(command, args, {
    cwd,
    env: { ...base, ...TEST_ENV, PATH: path, ...env },
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (stdin !== undefined) {
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(stdin);
  }
  return new RunningProcess(child, `${command} ${args.join(' ')}`);
}

async function succeed(command: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<CommandResult> {
  const result = await start(command, args, env, undefined, cwd).exited;
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.code}):\n${result.stderr}\n${result.stdout}`);
  return result;
}

/** Packs once per test run: `npm run release` with --skip-build (the suite's pretest built). */
async function packOnce(): Promise<{ out: string; packages: Packed[]; seconds: number | undefined }> {
  const cache = process.env.PALYRA_TEST_CACHE_DIR;
  const out = cache === undefined ? join(await dirs.make('palyra-release-'), 'release') : join(cache, 'release');
  const manifest = join(out, 'release.json');
  if (existsSync(manifest)) return { out, ...(JSON.parse(await readFile(manifest, 'utf8')) as { packages: Packed[] }), seconds: undefined };
  const began = performance.now();
  const result = await succeed(process.execPath, [RELEASE_SCRIPT, '--skip-build', '--json', '--out', out]);
  const { packages } = JSON.parse(result.stdout) as { packages: Packed[] };
  await writeFile(manifest, JSON.stringify({ packages }));
  return { out, packages, seconds: (performance.now() - began) / 1000 };
}

/**
 * The environment that makes better-sqlite3's prebuild-install take this workspace's compiled
 * binary as its prebuilt one: a `<name>-v<version>-node-v<abi>-<platform>-<arch>.tar.gz` holding
 * build/Release/better_sqlite3.node, in the directory prebuild-install searches first.
 */
async function localSqlitePrebuild(base: string): Promise<NodeJS.ProcessEnv> {
  const moduleDir = join(ROOT, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(await readFile(join(moduleDir, 'package.json'), 'utf8')) as { version: string };
  const dir = join(base, 'prebuilds');
  await mkdir(dir);
  const file = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await succeed('tar', ['-czf', join(dir, file), '-C', moduleDir, 'build/Release/better_sqlite3.node']);
  return { npm_config_better_sqlite3_local_prebuilds: dir, npm_config_better_sqlite3_binary_host: 'http://127.0.0.1:9' };
}

const sha256 = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');

describe('npm run release', { timeout: INSTALL_TIMEOUT_MS }, () => {
  let out = '';
  let packages: Packed[] = [];

  beforeAll(async () => {
    const packed = await packOnce();
    ({ out, packages } = packed);
    if (packed.seconds !== undefined) console.info(`release-install: pack ${packed.seconds.toFixed(1)} s`);
  }, INSTALL_TIMEOUT_MS);

  it('packs the published packages, versions in step, and SHA256SUMS matches every tarball', async () => {
    const version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(packages.map((p) => [p.name, p.version, p.file])).toEqual([
      ['@palyra/agent', version, `palyra-agent-${version}.tgz`],
      ['@palyra/daemon', version, `palyra-daemon-${version}.tgz`],
      ['@palyra/plugin-sdk', version, `palyra-plugin-sdk-${version}.tgz`],
    ]);
    expect((await readdir(out)).filter((f) => f.endsWith('.tgz')).sort()).toEqual(packages.map((p) => p.file).sort());

    const sums = (await readFile(join(out, 'SHA256SUMS'), 'utf8')).trimEnd().split('\n');
    expect(sums).toHaveLength(packages.length);
    for (const line of sums) {
      const [, digest, file] = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line) ?? [];
      expect(file, line).toBeDefined();
      expect(await sha256(join(out, file ?? '')), file).toBe(digest);
    }
    // The file is in sha256sum(1)'s format, the way docs/install.md tells users to check it.
    if (existsSync('/usr/bin/sha256sum')) {
      const checked = await succeed('/usr/bin/sha256sum', ['-c', 'SHA256SUMS'], {}, out);
      expect(checked.stdout.trimEnd().split('\n').sort()).toEqual(packages.map((p) => `${p.file}: OK`).sort());
    }
  });

  it('ships built code only: no dev dependencies, no scripts, internal packages bundled', async () => {
    const agent = packages.find((p) => p.name === '@palyra/agent');
    const tarball = join(out, agent?.file ?? 'missing');
    const listing = (await succeed('tar', ['-tzf', tarball])).stdout.split('\n');
    expect(listing).toContain('package/dist/bin/palyra-node.js');
    expect(listing).toContain('package/node_modules/@palyra/shared/dist/index.js');
    expect(listing).toContain('package/node_modules/@palyra/plugin-shell/dist/index.js');
    expect(listing.filter((f) => /\.tsbuildinfo$|\.map$|\/src\/|\.test\./.test(f))).toEqual([]);
    // Only @palyra/* is bundled: third-party packages come from the registry, built for the target.
    expect(listing.filter((f) => f.includes('/node_modules/') && !f.startsWith('package/node_modules/@palyra/'))).toEqual([]);

    const manifest = JSON.parse((await succeed('tar', ['-xzOf', tarball, 'package/package.json'])).stdout) as Record<string, unknown>;
    expect(manifest.scripts).toBeUndefined();
    expect(manifest.devDependencies).toBeUndefined();
    expect(manifest.bundleDependencies).toEqual(agent?.bundled);
    expect(agent?.bundled).toEqual(['@palyra/plugin-browser', '@palyra/plugin-filesystem', '@palyra/plugin-sdk', '@palyra/plugin-shell', '@palyra/proto', '@palyra/shared']);
    // The bundled packages' third-party dependencies are the published package's own.
    expect(manifest.dependencies).toMatchObject({ execa: expect.any(String), '@grpc/grpc-js': expect.any(String), '@matrixai/quic': expect.any(String) });
  });

  it('installs agent and daemon globally into an empty prefix; they pair and run dispatches, a third-party plugin on the plugin-sdk tarball too', async () => {
    const base = await dirs.make('palyra-install-');
    const prefix = join(base, 'prefix');
    const npmTmp = join(base, 'npm-tmp');
    await mkdir(prefix);
    await mkdir(npmTmp);
    const tarballs = ['@palyra/agent', '@palyra/daemon'].map((name) => join(out, packages.find((p) => p.name === name)?.file ?? name));

    const began = performance.now();
    await succeed(
      'npm',
      [
        'install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund',
        // What docs/install.md says: better-sqlite3 (the daemon's SQLite store) may run its install script.
        '--allow-scripts=better-sqlite3',
        // Nothing under @palyra may come from a registry: it is all bundled in the tarballs.
        '--@palyra:registry=http://127.0.0.1:9/',
        ...tarballs,
      ],
      // No network but the npm registry in CI: better-sqlite3's install script (prebuild-install)
      // cannot fetch its prebuilt binary from GitHub, and compiling it takes minutes here. It finds
      // this workspace's own build (the same version and Node ABI) as a local prebuild instead;
      // should the registry resolve another version, the dead binary host fails at once and it
      // compiles, slowly but just as a user without network would. npm's temp files stay in `base`.
      { ...(await localSqlitePrebuild(base)), TMPDIR: npmTmp },
    );
    console.info(`release-install: npm install -g of agent and daemon ${((performance.now() - began) / 1000).toFixed(1)} s`);

    const palyrad = join(prefix, 'bin', 'palyrad');
    const palyraNode = join(prefix, 'bin', 'palyra-node');
    const version = packages[0]?.version ?? 'missing';
    expect((await succeed(palyrad, ['--version'])).stdout.trim()).toBe(version);
    expect((await succeed(palyraNode, ['--version'])).stdout.trim()).toBe(version);

    const stateDir = join(base, 'daemon');
    const daemon = start(palyrad, ['start', '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--json']);
    const [readyLine] = await daemon.waitFor(/^\{.*"event":"ready".*\}$/m, 90_000);
    const ready = JSON.parse(readyLine ?? '{}') as ReadyInfo;
    const cli = (...args: string[]) => succeed(palyrad, [...args, '--state-dir', stateDir]);

    const pin = parseOneJson<PairingCodeJson>(await cli('pairing', 'code', '--method', 'pin', '--json')).code;
    const nodeDir = join(base, 'node');
    const join_ = start(palyraNode, ['join', '--pin', '-', '--daemon', ready.grpc, '--state-dir', nodeDir, '--name', 'installed-node'], {}, `${pin}\n`);
    const [, requestId] = await join_.waitFor(/\(request (\S+?)[,)]/);
    await join_.waitFor(/waiting for approval/);
    const pending = parseOneJson<PendingRow[]>(await cli('nodes', 'pending', '--json'));
    expect(pending.map((r) => r.requestId)).toEqual([requestId]);
    await cli('nodes', 'approve', requestId ?? '');
    const joined = await join_.exited;
    expect(joined.code, joined.stderr).toBe(0);

    const root = join(base, 'root');
    await mkdir(root);
    await writeFile(join(root, 'hello.txt'), 'from the installed agent\n');
    // A third-party plugin as its author ships it: examples/hello-plugin with @palyra/plugin-sdk
    // installed from its own tarball (a copy apart from the one bundled in the agent).
    const pluginDir = join(base, 'hello-plugin');
    await mkdir(pluginDir);
    for (const file of ['index.js', 'package.json']) await writeFile(join(pluginDir, file), await readFile(join(ROOT, 'examples', 'hello-plugin', file)));
    const sdk = join(out, packages.find((p) => p.name === '@palyra/plugin-sdk')?.file ?? 'missing');
    await succeed('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--@palyra:registry=http://127.0.0.1:9/', sdk], { TMPDIR: npmTmp }, pluginDir);

    const config = join(base, 'palyra-node.config.json');
    await writeFile(
      config,
      JSON.stringify({
        plugins: [
          { use: 'filesystem', grants: { roots: [root] } },
          { use: 'shell', grants: { commands: ['echo'], roots: [root] } },
          { use: join(pluginDir, 'index.js'), grants: { maxSleepMs: 1000 } },
        ],
      }),
    );
    const agent = start(palyraNode, ['run', '--state-dir', nodeDir, '--config', config]);
    const [, deviceId] = await agent.waitFor(/^palyra-node ready device=(\S+)$/m, 60_000);
    const nodes = parseOneJson<NodeRow[]>(await cli('nodes', 'list', '--json'));
    expect(nodes.map((n) => [n.deviceId, n.name])).toEqual([[deviceId, 'installed-node']]);

    const invoke = async (capability: string, input: unknown) =>
      parseOneJson<{ status: string; output: unknown }>(await cli('nodes', 'invoke', deviceId ?? '', capability, '--input', JSON.stringify(input), '--json'));
    const read = await invoke('fs.read', { path: 'hello.txt' });
    expect(read).toMatchObject({ status: 'succeeded', output: { path: join(root, 'hello.txt'), content: 'from the installed agent\n' } });
    const echoed = await invoke('shell.exec', { command: 'echo', args: ['dispatched'] });
    expect(echoed).toMatchObject({ status: 'succeeded', output: { exitCode: 0, stdout: 'dispatched\n' } });
    const greeted = await invoke('hello.greet', { name: 'Ada' });
    expect(greeted).toMatchObject({ status: 'succeeded', output: { greeting: 'Hello, Ada!' } });

    await agent.stop();
    await daemon.stop();
  });
});
