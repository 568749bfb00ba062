/**
 * Capability dispatch end to end, with real processes: a palyrad, a paired palyra-node
 * started with a config file (filesystem and shell granted a temp root, plus the fixture
 * plugins of test/fixtures/plugins), and `palyrad nodes invoke` as a user runs it. One
 * daemon and one agent for the file; the test that kills the agent starts it again.
 */
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import type { InvocationEvent } from '../../daemon/src/client/invocation.js';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, pairNode, type NodeRow } from '../helpers/daemonHarness.js';
import {
  commandStillRuns,
  invokeJson,
  killLeftover,
  parseInvokeJson,
  pidAlive,
  readPids,
  runInvoke,
  spawnInvoke,
  startAgent,
  waitForPidGone,
  writeNodeConfig,
} from '../helpers/dispatchHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, pollUntil, stopProcesses, TempDirs, type RunningProcess } from '../helpers/processes.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/plugins/', import.meta.url));
const SECRET = 'top secret outside the root';

const dirs = new TempDirs();
let daemon: DaemonProcess | undefined;
let agent: RunningProcess | undefined;
/** In-process programmatic client of the spawned daemon, for checks that are not about the CLI. */
let client: ControlClient | undefined;
let deviceId = '';
let nodeDir = '';
let configPath = '';
/** The filesystem and shell root granted to the node. */
let root = '';
/** A directory next to the root, not granted. */
let outside = '';
/**
 * Processes the tests' commands started, by pid, with a string their command line contains:
 * none may outlive its dispatch (checked, and killed if need be, in afterAll).
 */
const spawnedByCommands = new Map<number, string>();

/** Remembers the shell (its script names `pidFile`) and the sleep it started. */
function track(pidFile: string, [shellPid, sleepPid]: number[]): [number, number] {
  if (shellPid === undefined || sleepPid === undefined) throw new Error(`${pidFile} lacks a pid`);
  spawnedByCommands.set(shellPid, pidFile);
  spawnedByCommands.set(sleepPid, 'sleep');
  return [shellPid, sleepPid];
}

function running(): DaemonProcess {
  if (daemon === undefined) throw new Error('the daemon did not start');
  return daemon;
}

/** `palyrad nodes invoke --json` (a process per call: kept for what the CLI itself must do). */
const invoke = (capability: string, input: unknown, extra: string[] = []) => invokeJson(running(), deviceId, capability, input, extra);

function control(): ControlClient {
  if (client === undefined) throw new Error('the control client did not connect');
  return client;
}

/** The same dispatch through the typed client, in process. */
const call = (capability: string, input: unknown, timeoutMs = 60_000) => control().invokeAndWait({ deviceId, capability, input, timeoutMs });

/** A sh -c script through shell.exec (sh is on the node's allowlist). */
const sh = (script: string) => ({ command: 'sh', args: ['-c', script] });

/** The node still serves: a plain fs.stat of the root succeeds. */
async function expectNodeServes(): Promise<void> {
  expect(agent?.running, `the agent must still run: ${agent?.stderr ?? ''}`).toBe(true);
  const result = await call('fs.stat', { path: '.' });
  expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
  expect(result.output).toMatchObject({ path: root, type: 'directory' });
}

beforeAll(async () => {
  const base = await dirs.make('palyra-e2e-dispatch-');
  root = join(base, 'root');
  outside = join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), SECRET);

  daemon = await DaemonProcess.start(join(base, 'daemon'));
  nodeDir = join(base, 'node');
  deviceId = await pairNode(daemon, nodeDir, 'dispatch-node');
  configPath = await writeNodeConfig(base, {
    plugins: [
      { use: 'filesystem', grants: { roots: [root], write: true } },
      { use: 'shell', grants: { commands: ['sh', 'echo'], roots: [root], timeoutMs: 120_000 } },
      { use: join(FIXTURES, 'throwing.js') },
      { use: join(FIXTURES, 'hanging.js') },
      { use: join(FIXTURES, 'bad-output.js') },
    ],
  });
  agent = await startAgent(nodeDir, configPath);
  client = await ControlClient.connect(daemon.stateDir);
}, E2E_HOOK_TIMEOUT_MS);

afterEach(async () => {
  // Stray invoke CLIs of a failed test; the shared daemon and agent stay.
  await stopProcesses([daemon?.process, agent]);
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  client?.close();
  await stopProcesses();
  const leaked = [...spawnedByCommands].filter(([pid, marker]) => commandStillRuns(pid, marker));
  for (const [pid, marker] of leaked) killLeftover(pid, marker);
  await dirs.cleanup();
  expect(leaked, 'processes started by commands outlived their dispatch').toEqual([]);
}, E2E_HOOK_TIMEOUT_MS);

describe('palyrad nodes invoke: built-in capabilities (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('lists the node online with every capability its plugins announce', async () => {
    const nodes = parseOneJson<NodeRow[]>(await running().cli('nodes', 'list', '--json'));
    const row = nodes.find((n) => n.deviceId === deviceId);
    expect(row?.status).toBe('online');
    expect(row?.capabilities).toEqual(
      expect.arrayContaining([
        'fs.read',
        'fs.write',
        'fs.list',
        'fs.stat',
        'fs.remove',
        'shell.exec',
        'throwing.async',
        'throwing.sync',
        'throwing.coded',
        'hanging.forever',
        'bad-output.wrong-shape',
        'bad-output.not-json',
      ]),
    );
  });

  it('writes, reads, lists, stats and removes files inside the granted root', async () => {
    const text = 'hello from the daemon\n';
    const file = join(root, 'notes', 'hello.txt');
    const written = await invoke('fs.write', { path: 'notes/hello.txt', content: text, mkdirs: true });
    expect(written).toMatchObject({ status: 'succeeded', output: { path: file, bytesWritten: text.length } });
    expect(await readFile(file, 'utf8')).toBe(text);

    const read = await invoke('fs.read', { path: 'notes/hello.txt' });
    expect(read.output).toEqual({ path: file, size: text.length, encoding: 'utf8', content: text });

    await writeFile(join(root, 'notes', 'blob.bin'), Buffer.from([0x00, 0xff, 0x01, 0xfe]));
    const binary = await call('fs.read', { path: 'notes/blob.bin' });
    expect(binary.output).toMatchObject({ size: 4, encoding: 'base64', content: Buffer.from([0x00, 0xff, 0x01, 0xfe]).toString('base64') });

    const listed = await invoke('fs.list', { path: 'notes' });
    expect(listed.output).toMatchObject({ path: join(root, 'notes'), truncated: false });
    expect(listed.output.entries.map((e: { name: string; type: string; size: number }) => [e.name, e.type, e.size])).toEqual([
      ['blob.bin', 'file', 4],
      ['hello.txt', 'file', text.length],
    ]);

    const stat = await invoke('fs.stat', { path: 'notes/hello.txt' });
    expect(stat.output).toMatchObject({ path: file, type: 'file', size: text.length });
    expect(stat.output.mode).toMatch(/^[0-7]{4}$/);
    expect(Number.isNaN(Date.parse(stat.output.modifiedAt))).toBe(false);

    const removed = await invoke('fs.remove', { path: 'notes', recursive: true });
    expect(removed.output).toEqual({ path: join(root, 'notes'), removed: true });
    expect(await readdir(root)).not.toContain('notes');

    const gone = await call('fs.read', { path: 'notes/hello.txt' });
    expect(gone).toMatchObject({ status: 'failed', error: { code: 'PALYRA_E_FS_NOT_FOUND', details: { plugin: 'filesystem', capability: 'fs.read' } } });
  });

  it('runs an allowlisted command with shell.exec: argv as given, output and exit code reported', async () => {
    const literal = await invoke('shell.exec', { command: 'echo', args: ['$(id)', ';', '*', '"quoted"'] });
    expect(literal.status).toBe('succeeded');
    expect(literal.output).toMatchObject({ exitCode: 0, signal: null, stdout: '$(id) ; * "quoted"\n', stderr: '', timedOut: false, truncated: false });

    // A non-zero exit is a result, not a failure of the dispatch.
    const failing = await call('shell.exec', sh('echo out; echo err >&2; exit 3'));
    expect(failing.status).toBe('succeeded');
    expect(failing.output).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(failing.stdout.toString()).toMatch(/^(out\nerr\n|err\nout\n)$/);
  });

  it('streams output to stdout as it arrives, before the dispatch ends', async () => {
    const gate = join(root, 'stream.gate');
    const cli = spawnInvoke(running(), deviceId, 'shell.exec', sh('echo first; while [ ! -e stream.gate ]; do sleep 0.1; done; echo second'));
    await cli.waitFor(/first/, 30_000);
    // "second" cannot be printed before the gate exists: whatever the timing, this is streaming.
    expect(cli.running).toBe(true);
    expect(cli.stdout).not.toContain('second');
    await writeFile(gate, '');

    const result = await cli.waitForExit(30_000);
    expect(result.code, result.stderr).toBe(0);
    const first = result.stdout.indexOf('first\n');
    const second = result.stdout.indexOf('second\n');
    const final = result.stdout.indexOf('"exitCode": 0');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(second).toBeGreaterThan(first);
    // The capability's result (pretty JSON) follows the streamed chunks.
    expect(final).toBeGreaterThan(second);
  });
});

describe('palyrad nodes invoke: cancel, timeout, node loss (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('Ctrl-C cancels the dispatch on the node: the command and its children are killed, status cancelled', async () => {
    const pidFile = join(root, 'cancel.pids');
    const cli = spawnInvoke(running(), deviceId, 'shell.exec', sh(`sleep 300 & echo $$ $! > ${pidFile}; wait`), ['--json']);
    const [shellPid, sleepPid] = track(pidFile, await readPids(pidFile, 2));
    expect(pidAlive(sleepPid)).toBe(true);

    cli.signal('SIGINT');
    const json = parseInvokeJson(await cli.waitForExit(30_000));
    expect(json.status).toBe('cancelled');
    expect(json.error?.code).toBe('PALYRA_E_CANCELLED');
    expect(cli.stderr).toContain('cancelling');
    // The plugin's signal fired: the whole process group is gone, grandchild included.
    await waitForPidGone(sleepPid, 'the sleep started by the cancelled command');
    await waitForPidGone(shellPid, 'the shell of the cancelled command');
    await expectNodeServes();
  });

  it('a programmatic caller that aborts its invoke cancels the dispatch on the node', async () => {
    const pidFile = join(root, 'abort.pids');
    const controller = new AbortController();
    const events: InvocationEvent[] = [];
    let pids: [number, number] | undefined;
    const reading = (async () => {
      const script = sh(`sleep 300 & echo $$ $! > ${pidFile}; echo ready; wait`);
      for await (const event of control().invoke({ deviceId, capability: 'shell.exec', input: script, timeoutMs: 60_000, signal: controller.signal })) {
        events.push(event);
        if (event.type === 'output' && event.chunk.toString().includes('ready')) {
          pids = track(pidFile, await readPids(pidFile, 2));
          controller.abort();
        }
      }
    })();
    await expect(reading).rejects.toMatchObject({ code: 'PALYRA_E_CANCELLED' });
    expect(pids).toBeDefined();
    const [shellPid, sleepPid] = pids ?? [0, 0];
    await waitForPidGone(sleepPid, 'the sleep of the abandoned invocation');
    await waitForPidGone(shellPid, 'the shell of the abandoned invocation');
    const accepted = events[0];
    const dispatch = await control().cancelDispatch(accepted?.type === 'accepted' ? accepted.dispatchId : '');
    expect(dispatch, 'the daemon cancelled it already').toBe(false);
    await expectNodeServes();
  });

  it('--timeout ends the dispatch timed_out and kills the command and its children', async () => {
    const pidFile = join(root, 'timeout.pids');
    const json = await invoke('shell.exec', sh(`sleep 300 & echo $$ $! > ${pidFile}; wait`), ['--timeout', '3s']);
    expect(json.status).toBe('timed_out');
    expect(json.error?.code).toBe('PALYRA_E_TIMEOUT');
    const [shellPid, sleepPid] = track(pidFile, await readPids(pidFile, 2));
    await waitForPidGone(sleepPid, 'the sleep started by the timed-out command');
    await waitForPidGone(shellPid, 'the shell of the timed-out command');
    await expectNodeServes();
  });

  it('a node killed mid-dispatch: its command and the command\'s children die with it; the node comes back without it, and the dispatch ends unknown (it may have run)', async () => {
    const pidFile = join(root, 'killed.pids');
    const cli = spawnInvoke(running(), deviceId, 'shell.exec', sh(`sleep 300 & echo $$ $! > ${pidFile}; echo started; wait`));
    await cli.waitFor(/started/, 30_000);
    const [shellPid, sleepPid] = track(pidFile, await readPids(pidFile, 2));

    agent?.signal('SIGKILL');
    await agent?.exited;
    // Nothing outlives its dispatch, not even when the agent is killed without a chance to
    // clean up: the command and the child it started die with the agent (issue 13 item 9).
    await waitForPidGone(shellPid, 'the shell of the killed agent\'s command');
    await waitForPidGone(sleepPid, 'the sleep started by the killed agent\'s command');

    // The node keeps what it runs across a lost session (issue 14), so the daemon waits for its
    // report; the restarted agent neither runs it nor holds its result: it may or may not have
    // run, and the daemon says so (never node_unavailable for a command that may have run).
    agent = await startAgent(nodeDir, configPath);
    const result = await cli.waitForExit(30_000);
    expectErrorLine(result, 'PALYRA_E_DISPATCH_UNKNOWN', 70);
    expect(result.stderr).toContain('may or may not have run');
    await expectNodeServes();
  });
});

describe('palyrad nodes invoke: faulty plugins fail their dispatch, never the agent (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('a plugin that throws fails the dispatch with the plugin and capability named, and the agent serves on', async () => {
    const json = await invoke('throwing.sync', {});
    expect(json).toMatchObject({
      status: 'failed',
      error: { code: 'PALYRA_E_PLUGIN_FAILED', details: { plugin: 'throwing', capability: 'throwing.sync' } },
    });
    expect(json.error?.message).toContain('capability throwing.sync of plugin "throwing"');
    expect(json.error?.message).toContain('a bare string thrown synchronously');
    await expectNodeServes();

    // Without --json: what it streamed before throwing, then one error line.
    const result = await runInvoke(running(), deviceId, 'throwing.async', {});
    expect(result.stdout).toBe('about to fail\n');
    const message = expectErrorLine(result, 'PALYRA_E_PLUGIN_FAILED', 1);
    expect(message).toContain('failed: capability throwing.async of plugin "throwing" failed: boom from the throwing fixture');
    await expectNodeServes();
  });

  it('a plugin error with its own code keeps it and still names the plugin, even with details that are not JSON', async () => {
    const result = await call('throwing.coded', {});
    expect(result).toMatchObject({
      status: 'failed',
      error: { code: 'PALYRA_E_FS_IO', message: 'the fixture resource is busy', details: { plugin: 'throwing', capability: 'throwing.coded' } },
    });
    await expectNodeServes();
  });

  it('a plugin that hangs, deaf to its signal, times out with the plugin and capability named', async () => {
    const json = await invoke('hanging.forever', {}, ['--timeout', '2s']);
    expect(json.status).toBe('timed_out');
    expect(json.error?.code).toBe('PALYRA_E_TIMEOUT');
    expect(json.error?.message).toMatch(/hanging\.forever/);
    expect(json.error?.message).toMatch(/plugin "hanging"/);
    expect(json.error?.details).toMatchObject({ plugin: 'hanging', capability: 'hanging.forever' });
    await expectNodeServes();
  });

  it('a hanging plugin can be cancelled through the programmatic client, and its node keeps serving', async () => {
    const events: InvocationEvent[] = [];
    for await (const event of control().invoke({ deviceId, capability: 'hanging.forever', input: {}, timeoutMs: 60_000 })) {
      events.push(event);
      if (event.type === 'output') {
        const accepted = events[0];
        expect(event.chunk.toString()).toBe('hanging now\n');
        expect(await control().cancelDispatch(accepted?.type === 'accepted' ? accepted.dispatchId : '')).toBe(true);
      }
    }
    expect(events[0]?.type).toBe('accepted');
    expect(events.some((e) => e.type === 'state' && e.state === 'running')).toBe(true);
    const last = events.at(-1);
    expect(last?.type === 'result' ? last.result : last).toMatchObject({ status: 'cancelled', error: { code: 'PALYRA_E_CANCELLED' } });
    await expectNodeServes();
  });

  it('a plugin whose output breaks its schema, or is not JSON, fails with PALYRA_E_OUTPUT_INVALID naming both', async () => {
    const shape = await invoke('bad-output.wrong-shape', {});
    expect(shape).toMatchObject({
      status: 'failed',
      error: { code: 'PALYRA_E_OUTPUT_INVALID', details: { plugin: 'bad-output', capability: 'bad-output.wrong-shape' } },
    });
    expect(shape.error?.message).toContain('capability bad-output.wrong-shape of plugin "bad-output"');
    expect(shape.error?.message).toContain('count');
    await expectNodeServes();

    const notJson = await call('bad-output.not-json', {});
    expect(notJson).toMatchObject({
      status: 'failed',
      error: { code: 'PALYRA_E_OUTPUT_INVALID', details: { plugin: 'bad-output', capability: 'bad-output.not-json' } },
    });
    expect(notJson.error?.message).toContain('capability bad-output.not-json of plugin "bad-output"');
    await expectNodeServes();
  });
});

describe('palyrad nodes invoke: refusals (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('refuses fs.read paths that climb out of the root, or are absolute outside it', async () => {
    const json = await invoke('fs.read', { path: '../outside/secret.txt' });
    expect(json).toMatchObject({ status: 'failed', error: { code: 'PALYRA_E_CAPABILITY_DENIED' } });
    expect(json.error?.message).toContain(root);
    expect(JSON.stringify(json)).not.toContain(SECRET);

    for (const path of ['a/../../outside/secret.txt', join(outside, 'secret.txt'), `${root}/../outside/secret.txt`]) {
      const result = await call('fs.read', { path });
      expect(result, path).toMatchObject({ status: 'failed', error: { code: 'PALYRA_E_CAPABILITY_DENIED' } });
      expect(JSON.stringify(result)).not.toContain(SECRET);
    }
  });

  it('refuses symlink escapes, to a file or through a directory, for reading, listing and writing', async () => {
    await symlink(join(outside, 'secret.txt'), join(root, 'escape-file'));
    await symlink(outside, join(root, 'escape-dir'));
    const json = await invoke('fs.read', { path: 'escape-file' });
    expect(json).toMatchObject({ status: 'failed', error: { code: 'PALYRA_E_CAPABILITY_DENIED' } });
    expect(JSON.stringify(json)).not.toContain(SECRET);

    const attempts: Array<[string, unknown]> = [
      ['fs.read', { path: 'escape-dir/secret.txt' }],
      ['fs.list', { path: 'escape-dir' }],
      ['fs.write', { path: 'escape-dir/planted/new.txt', content: 'x', mkdirs: true }],
      ['fs.write', { path: 'escape-file', content: 'overwritten', mode: 'overwrite' }],
    ];
    for (const [capability, input] of attempts) {
      const result = await call(capability, input);
      expect(result, `${capability} ${JSON.stringify(input)}`).toMatchObject({ status: 'failed', error: { code: 'PALYRA_E_CAPABILITY_DENIED' } });
      expect(JSON.stringify(result)).not.toContain(SECRET);
    }
    expect((await readdir(outside)).sort()).toEqual(['secret.txt']);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe(SECRET);
  });

  it('refuses a command that is not on the allowlist, and a shell string without allowShell, running nothing', async () => {
    const marker = join(root, 'touched');
    const touch = await invoke('shell.exec', { command: 'touch', args: [marker] });
    expect(touch).toMatchObject({ status: 'failed', error: { code: 'PALYRA_E_CAPABILITY_DENIED' } });
    expect(touch.error?.message).toContain('touch');

    const shell = await call('shell.exec', { command: `touch ${marker}`, shell: true });
    expect(shell).toMatchObject({ status: 'failed', error: { code: 'PALYRA_E_CAPABILITY_DENIED' } });
    expect(await readdir(root)).not.toContain('touched');
  });

  it('refuses --input that is not JSON as a usage error', async () => {
    const result = await runInvoke(running(), deviceId, 'fs.stat', '{"path": "."', ['--json']);
    expectErrorLine(result, 'PALYRA_E_USAGE', 64);
    expect(result.stdout).toBe('');
  });

  it('rejects input that fails the schema with PALYRA_E_INPUT_INVALID, without reaching the node', async () => {
    const json = await invoke('fs.stat', { path: '.', follow: true });
    expect(json).toMatchObject({ status: 'rejected', error: { code: 'PALYRA_E_INPUT_INVALID' } });
    expect(json.error?.message).toContain('fs.stat');

    const collect = async (input: unknown): Promise<InvocationEvent[]> => {
      const events: InvocationEvent[] = [];
      for await (const event of control().invoke({ deviceId, capability: 'fs.stat', input })) events.push(event);
      return events;
    };
    // A dispatch that reaches the node is reported running (the node says it started) ...
    expect((await collect({ path: '.' })).some((e) => e.type === 'state' && e.state === 'running')).toBe(true);
    // ... one refused by the daemon is accepted and ends at once, the node never told.
    const refused = await collect({ path: 42 });
    expect(refused.map((e) => e.type)).toEqual(['accepted', 'result']);
    expect(refused[1]).toMatchObject({ type: 'result', result: { status: 'rejected', error: { code: 'PALYRA_E_INPUT_INVALID' } } });
  });

  it('takes a device id in lower case as a reference to the node: the dispatch runs under its one spelling', async () => {
    // Device ids are ULIDs (Crockford base32, case-insensitive): since issue 17 a reference in
    // any case resolves on the daemon to the canonical id, so the node is never read as another
    // (offline) one, as the lower-case id once was (issue 13).
    const lower = deviceId.toLowerCase();
    const invoked = await runInvoke(running(), lower, 'fs.stat', { path: '.' }, ['--json']);
    expect(invoked.code, invoked.stderr).toBe(0);
    const result = JSON.parse(invoked.stdout) as { status: string; dispatchId: string };
    expect(result.status).toBe('succeeded');
    const recorded = await control().getDispatch(result.dispatchId);
    expect(recorded.deviceId).toBe(deviceId);
    const nodes = await running().json<NodeRow[]>('nodes', 'list');
    expect(nodes.filter((n) => n.deviceId.toUpperCase() === deviceId)).toHaveLength(1);
    await expectNodeServes();
  });

  it('rejects a capability the node does not have', async () => {
    const result = await call('fs.chmod', { path: '.' });
    expect(result).toMatchObject({ status: 'rejected', error: { code: 'PALYRA_E_CAPABILITY_NOT_FOUND' } });
  });
});

describe('palyrad nodes invoke: load (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('runs a dispatch once for repeated invocations with the same idempotency key', async () => {
    const log = join(root, 'idempotent.log');
    const request = { deviceId, capability: 'shell.exec', input: sh(`echo ran >> ${log}`), timeoutMs: 60_000, idempotencyKey: `once-${Date.now()}` };
    const [first, second] = await Promise.all([control().invokeAndWait(request), control().invokeAndWait(request)]);
    const third = await control().invokeAndWait(request);
    expect(first.status).toBe('succeeded');
    expect(second.dispatchId).toBe(first.dispatchId);
    expect(third).toMatchObject({ dispatchId: first.dispatchId, status: 'succeeded' });
    expect(await readFile(log, 'utf8')).toBe('ran\n');
  });

  it('refuses an idempotency key reused with another input (PALYRA_E_IDEMPOTENCY_MISMATCH), through the CLI', async () => {
    const log = join(root, 'idempotent-mismatch.log');
    const key = ['--idempotency-key', `mismatch-${Date.now()}`];
    const first = await invoke('shell.exec', sh(`echo first >> ${log}`), key);
    expect(first.status).toBe('succeeded');

    const other = await runInvoke(running(), deviceId, 'shell.exec', sh(`echo second >> ${log}`), key);
    expect(expectErrorLine(other, 'PALYRA_E_IDEMPOTENCY_MISMATCH', 65)).toContain(first.dispatchId);
    const otherCapability = await runInvoke(running(), deviceId, 'fs.stat', { path: '.' }, key);
    expectErrorLine(otherCapability, 'PALYRA_E_IDEMPOTENCY_MISMATCH', 65);

    // The same request again still joins the first dispatch; nothing ran a second time.
    const again = await invoke('shell.exec', sh(`echo first >> ${log}`), key);
    expect(again).toMatchObject({ dispatchId: first.dispatchId, status: 'succeeded' });
    expect(await readFile(log, 'utf8')).toBe('first\n');
  });

  it('a caller that joined a dispatch through its idempotency key and leaves does not cancel it', async () => {
    const startedFile = join(root, 'joined.started');
    const goFile = join(root, 'joined.go');
    const log = join(root, 'joined.log');
    const request = {
      deviceId,
      capability: 'shell.exec',
      // Waits for the test's go-ahead, so that the second caller leaves while it runs.
      input: sh(`touch ${startedFile}; while [ ! -f ${goFile} ]; do sleep 0.05; done; echo ran >> ${log}`),
      timeoutMs: 60_000,
      idempotencyKey: `joined-${Date.now()}`,
    };
    const first = control().invokeAndWait(request);
    await pollUntil(async () => ((await readFile(startedFile).catch(() => undefined)) === undefined ? undefined : true), {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: 'the first dispatch to start',
    });

    const controller = new AbortController();
    const joined: InvocationEvent[] = [];
    const second = (async () => {
      for await (const event of control().invoke({ ...request, signal: controller.signal })) {
        joined.push(event);
        if (event.type === 'accepted') controller.abort();
      }
    })();
    await expect(second).rejects.toMatchObject({ code: 'PALYRA_E_CANCELLED' });
    const accepted = joined[0];
    expect(accepted).toMatchObject({ type: 'accepted', deduplicated: true });
    // A call on the same connection after the cancelled stream: the daemon has seen the leave by now.
    await control().listNodes();

    await writeFile(goFile, '');
    const result = await first;
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(accepted?.type === 'accepted' ? accepted.dispatchId : '').toBe(result.dispatchId);
    expect(await readFile(log, 'utf8')).toBe('ran\n');
  });

  it('completes 100 concurrent dispatches to one node', async () => {
    await mkdir(join(root, 'many'), { recursive: true });
    await Promise.all(Array.from({ length: 100 }, (_, i) => writeFile(join(root, 'many', `f${i}.txt`), 'x'.repeat(i))));
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => call('fs.stat', { path: `many/f${i}.txt` })));
    expect(results.filter((r) => r.status !== 'succeeded')).toEqual([]);
    expect(results.map((r) => (r.output as { size: number }).size)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(new Set(results.map((r) => r.dispatchId)).size).toBe(100);
    await expectNodeServes();
  });
});
