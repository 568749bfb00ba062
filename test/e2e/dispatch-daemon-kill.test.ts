/**
 * Issue 14, parts 5 and 6, through the built binaries: a daemon SIGKILLed while a `shell.exec`
 * runs on a node does not kill the command (it did: the session's end aborted every dispatch);
 * the command finishes while the daemon is down, its result waits in the node's outbox
 * (`<state dir>/outbox`); when the daemon restarts on the same state dir the node delivers it,
 * the daemon records and acknowledges it (the outbox empties), `palyrad dispatches get` shows
 * it, and a retry with the same idempotency key returns that result without running the
 * command again (it counts its steps in a file).
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, pairNode, type NodeRow } from '../helpers/daemonHarness.js';
import { invokeJson, spawnInvoke, startAgent, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_TEST_TIMEOUT_MS, pollUntil, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();

afterEach(async () => {
  await stopProcesses();
  await dirs.cleanup();
});

const OUTBOX_FILE = /^[0-9a-f]{64}\.json$/;

describe('a daemon killed while its node runs a command (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('the command runs to completion, its result waits in the outbox, and the restarted daemon gets it, acknowledges it and answers a retry with it', async () => {
    const base = await dirs.make('palyra-e2e-daemon-kill-');
    const root = join(base, 'root');
    await mkdir(root);
    const daemon = await DaemonProcess.start(join(base, 'daemon'));
    const nodeDir = join(base, 'node');
    const deviceId = await pairNode(daemon, nodeDir, 'kill-node');
    const config = await writeNodeConfig(base, { plugins: [{ use: 'shell', grants: { commands: ['sh'], roots: [root], timeoutMs: 120_000 } }] });
    const agent = await startAgent(nodeDir, config);

    const countFile = join(root, 'count');
    const gate = join(root, 'gate');
    const script = `echo run >> ${countFile}; until [ -e ${gate} ]; do sleep 0.05; done; echo done >> ${countFile}; echo finished`;
    const input = { command: 'sh', args: ['-c', script] };
    const key = ['--idempotency-key', 'kill-9-retry', '--timeout', '120s'];
    const cli = spawnInvoke(daemon, deviceId, 'shell.exec', input, key);
    await pollUntil(async () => ((await readFile(countFile, 'utf8').catch(() => '')) === 'run\n' ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: 'the command to start',
    });

    daemon.process.signal('SIGKILL');
    await daemon.process.exited;
    await cli.waitForExit(30_000);
    // The node noticed: it is retrying.
    await agent.waitFor(/retrying in/, 30_000, 'stderr');

    await writeFile(gate, '');
    await pollUntil(async () => ((await readFile(countFile, 'utf8').catch(() => '')) === 'run\ndone\n' ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: 'the command to finish with the daemon down',
    });
    const outbox = join(nodeDir, 'outbox');
    const [file] = await pollUntil(async () => {
      const files = (await readdir(outbox).catch(() => [])).filter((name) => OUTBOX_FILE.test(name));
      return files.length === 1 ? files : undefined;
    }, { timeoutMs: 30_000, intervalMs: 50, what: 'the result in the outbox' });
    const stored = await readFile(join(outbox, file as string), 'utf8');
    const header = JSON.parse(stored.slice(0, stored.indexOf('\n'))) as { dispatchId: string; status: string };
    expect(header.status).toBe('succeeded');
    expect(JSON.parse(stored.slice(stored.indexOf('\n') + 1))).toMatchObject({ exitCode: 0 });

    // The same state dir and address: the node reconnects by itself, lists what it holds in its
    // hello, sends it, and drops it once the daemon has recorded it (ResultAck).
    const again = await DaemonProcess.start(daemon.stateDir, ['--listen', daemon.ready.grpc]);
    await pollUntil(
      async () => {
        const row = parseOneJson<NodeRow[]>(await again.cli('nodes', 'list', '--json')).find((n) => n.deviceId === deviceId);
        return row?.status === 'online' ? row : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: 'the node online on the restarted daemon' },
    );
    await pollUntil(async () => ((await readdir(outbox)).length === 0 ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'the acknowledged result to leave the outbox',
    });

    // A client that lost the daemon learns the true final state by id...
    const got = parseOneJson<{ dispatchId: string; state: string; result: { output: unknown } | null }>(
      await again.cli('dispatches', 'get', header.dispatchId, '--json'),
    );
    expect(got).toMatchObject({ dispatchId: header.dispatchId, state: 'succeeded', result: { output: { exitCode: 0 } } });
    // ...and one that retries with its key gets the recorded result, not a second run.
    const retried = await invokeJson(again, deviceId, 'shell.exec', input, key);
    expect(retried.dispatchId).toBe(header.dispatchId);
    expect(retried.status).toBe('succeeded');
    expect(retried.output).toMatchObject({ exitCode: 0 });
    expect(agent.running).toBe(true);
    expect(await readFile(countFile, 'utf8')).toBe('run\ndone\n');
  });
});
