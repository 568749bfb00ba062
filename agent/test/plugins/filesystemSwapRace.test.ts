/**
 * Regression test for issue 12 item 1: the filesystem plugin's symlink-swap race.
 *
 * A separate process (the attacker, with write access inside the granted root) exchanges a
 * directory inside the root with a symlink to a directory outside it, with
 * renameat2(RENAME_EXCHANGE), in a tight loop. Meanwhile every filesystem capability runs,
 * through the agent's real PluginHost and the built plugin, against paths through the swapped
 * component. Nothing outside the root may be read, created, changed or removed, and no temp
 * file may be left behind.
 */
import { spawn } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RunningProcess } from '../../../test/helpers/processes.js';
import { PluginHost, type ExecutionOutcome } from '../../src/plugins/index.js';
import { CapturingLogger, RecordingSink, request } from './helpers.js';

const SWAP_LOOP = fileURLToPath(new URL('../fixtures/race/renameExchangeLoop.py', import.meta.url));
/** How long the capabilities run against the swapping directory. */
const RACE_MS = 5_000;

const OUTSIDE_CONTENT = 'OUTSIDE-THE-ROOT: must never be read through the plugin';
const INSIDE_CONTENT = 'inside';

let base: string | undefined;
let host: PluginHost | undefined;
let swapper: RunningProcess | undefined;

afterEach(async () => {
  await swapper?.stop();
  await host?.dispose();
  if (base !== undefined) await rm(base, { recursive: true, force: true });
  swapper = undefined;
  host = undefined;
  base = undefined;
});

interface Entry {
  type: string;
  size: number;
  mtimeMs: number;
  mode: number;
  content?: string;
}

/** Every entry below `dir` with its type, size, mtime, mode and (files, links) content. */
async function snapshot(dir: string, prefix = ''): Promise<Record<string, Entry>> {
  const result: Record<string, Entry> = {};
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const stats = await lstat(path);
    const entry: Entry = { type: stats.isDirectory() ? 'dir' : stats.isSymbolicLink() ? 'link' : 'file', size: stats.size, mtimeMs: stats.mtimeMs, mode: stats.mode };
    if (stats.isFile()) entry.content = await readFile(path, 'utf8');
    if (stats.isSymbolicLink()) entry.content = await readlink(path);
    result[prefix + name] = entry;
    if (stats.isDirectory()) Object.assign(result, await snapshot(path, `${prefix}${name}/`));
  }
  return result;
}

describe('filesystem plugin under a symlink-swap race', () => {
  it(
    'never reads, creates, changes or removes anything outside the root, and leaves no temp file',
    async () => {
      base = await realpath(await mkdtemp(join(tmpdir(), 'palyra-fs-race-')));
      const root = join(base, 'root');
      const outside = join(base, 'outside');
      // Inside: root/swap is a directory; root/link a symlink to outside/target. The attacker
      // exchanges the two names, so root/swap is sometimes that symlink.
      await mkdir(join(root, 'swap/sub'), { recursive: true });
      await writeFile(join(root, 'swap/file.txt'), INSIDE_CONTENT);
      await writeFile(join(root, 'swap/sub/f.txt'), INSIDE_CONTENT);
      // Outside: the same names, so any redirected operation would hit something there.
      const target = join(outside, 'target');
      await mkdir(join(target, 'sub'), { recursive: true });
      await mkdir(join(target, 'victimdir'));
      for (const name of ['file.txt', 'sub/f.txt', 'append.txt', 'victim.txt', 'victimdir/inner.txt', 'only-outside.txt']) {
        await writeFile(join(target, name), OUTSIDE_CONTENT);
      }
      await symlink(target, join(root, 'link'));
      const before = await snapshot(outside);

      host = await PluginHost.load({
        config: {
          plugins: [
            { use: 'filesystem', grants: { roots: [root], write: true } },
            { use: 'shell', enabled: false },
            { use: 'browser', enabled: false },
          ],
        },
        baseDir: base,
        signal: new AbortController().signal,
        logger: new CapturingLogger(),
      });
      const loaded = host;

      swapper = new RunningProcess(
        spawn('python3', [SWAP_LOOP, join(root, 'swap'), join(root, 'link')], { stdio: ['ignore', 'pipe', 'pipe'] }),
        'renameat2 swap loop',
      );
      await swapper.waitFor(/^ready$/m);

      const succeeded = new Map<string, number>();
      const failureCodes = new Map<string, number>();
      const leaks: string[] = [];
      let operations = 0;
      const run = async (label: string, capability: string, input: unknown): Promise<ExecutionOutcome> => {
        operations += 1;
        const outcome = await loaded.execute(request(capability, input, { deadlineMs: 30_000 }), new RecordingSink());
        if (outcome.status === 'succeeded') {
          succeeded.set(label, (succeeded.get(label) ?? 0) + 1);
          if (JSON.stringify(outcome.output).includes('OUTSIDE') || JSON.stringify(outcome.output).includes('only-outside')) {
            leaks.push(`${label}: ${JSON.stringify(outcome.output).slice(0, 200)}`);
          }
        } else {
          const key = `${outcome.status}:${outcome.error.code}`;
          failureCodes.set(key, (failureCodes.get(key) ?? 0) + 1);
        }
        return outcome;
      };

      const outsideSize = OUTSIDE_CONTENT.length;
      const deadline = Date.now() + RACE_MS;
      for (let round = 0; Date.now() < deadline; round += 1) {
        await Promise.all([
          run('read', 'fs.read', { path: 'swap/file.txt' }),
          run('read', 'fs.read', { path: 'swap/sub/f.txt' }),
          run('stat', 'fs.stat', { path: 'swap/file.txt' }).then((outcome) => {
            if (outcome.status === 'succeeded' && (outcome.output as { size: number }).size === outsideSize) leaks.push('stat saw the outside file');
          }),
          run('list', 'fs.list', { path: 'swap', recursive: true }),
          run('write create', 'fs.write', { path: `swap/new-${round}.txt`, content: INSIDE_CONTENT }),
          run('write overwrite', 'fs.write', { path: 'swap/file.txt', content: INSIDE_CONTENT, mode: 'overwrite' }),
          run('write append', 'fs.write', { path: 'swap/append.txt', content: 'a', mode: 'append' }),
          run('write mkdirs', 'fs.write', { path: `swap/made-${round}/deep/f.txt`, content: INSIDE_CONTENT, mkdirs: true }),
        ]);
        await Promise.all([
          run('write create', 'fs.write', { path: 'swap/victim.txt', content: INSIDE_CONTENT }),
          run('write mkdirs', 'fs.write', { path: 'swap/victimdir/inner.txt', content: INSIDE_CONTENT, mkdirs: true }),
        ]);
        await Promise.all([
          run('remove', 'fs.remove', { path: 'swap/victim.txt' }),
          run('remove recursive', 'fs.remove', { path: 'swap/victimdir', recursive: true }),
          run('remove', 'fs.remove', { path: `swap/new-${round}.txt` }),
          run('remove recursive', 'fs.remove', { path: `swap/made-${round}`, recursive: true }),
        ]);
      }

      const stopped = await swapper.stop();
      const swaps = Number(/^swaps (\d+)$/m.exec(stopped.stdout)?.[1] ?? 0);
      const report = { swaps, operations, succeeded: Object.fromEntries(succeeded), failures: Object.fromEntries(failureCodes) };
      console.log(`symlink-swap race: ${JSON.stringify(report)}`);

      // The attack ran, and the test is not vacuous: every capability got through at times.
      expect(swaps, stopped.stdout + stopped.stderr).toBeGreaterThan(1_000);
      for (const label of ['read', 'stat', 'list', 'write create', 'write overwrite', 'write append', 'write mkdirs', 'remove', 'remove recursive']) {
        expect(succeeded.get(label) ?? 0, `${label} never succeeded: ${JSON.stringify(report)}`).toBeGreaterThan(0);
      }
      // Refusals are coded, never a plugin crash.
      for (const key of failureCodes.keys()) {
        expect(['failed:PALYRA_E_CAPABILITY_DENIED', 'failed:PALYRA_E_FS_NOT_FOUND', 'failed:PALYRA_E_FS_IO']).toContain(key);
      }
      // Nothing outside was read, created, changed or removed.
      expect(leaks).toEqual([]);
      expect(await snapshot(outside)).toEqual(before);
      // No temp file anywhere.
      const all = Object.keys({ ...(await snapshot(root)), ...(await snapshot(outside)) });
      expect(all.filter((path) => path.includes('.palyra-tmp'))).toEqual([]);
    },
    60_000,
  );
});
