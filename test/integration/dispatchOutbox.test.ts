/**
 * Issue 14, parts 5 and 6, agent side: a dispatch outlives the session it came on, and its
 * result is held until the daemon acknowledges it. The real NodeAgent with the real shell
 * plugin, paired with a real daemon, then served by a ScriptedDaemon (real gRPC, the daemon's
 * own TLS identity, client certificates checked) that loses sessions, refuses them for a
 * while and holds back its ResultAck on cue. What the command did is counted in a file it
 * writes; the outbox is read from the node's state dir.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DaemonMessage, NodeMessage__Output } from '@palyra/proto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NodeAgent } from '../../agent/src/NodeAgent.js';
import type { IdentityStore, NodeIdentity } from '../../agent/src/identity/index.js';
import { pollUntil } from '../helpers/processes.js';
import { ScriptedDaemon } from '../helpers/scriptedDaemon.js';
import { CA_SETUP_TIMEOUT_MS, Scope, TEST_TIMEOUT_MS, pairNode, prepareCas, startDaemon, within } from './harness.js';

let scope: Scope;

beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

interface Rig {
  scripted: ScriptedDaemon;
  identity: NodeIdentity;
  /** The node's state dir (its outbox is `outbox/` in it). */
  nodeDir: string;
  /** The shell plugin's root: gates and count files live here. */
  root: string;
  configPath: string;
}

/** The agent tests' fixture plugin: `hanging.forever` never settles and ignores its signal. */
const HANGING_PLUGIN = new URL('../../agent/test/fixtures/plugins/hanging.js', import.meta.url).href;

/** A node paired with a real daemon, whose sessions a ScriptedDaemon with that daemon's TLS identity serves. */
async function rig(): Promise<Rig> {
  const d = await startDaemon(scope);
  const paired = await pairNode(scope, d);
  const scripted = await ScriptedDaemon.start(scope, { keyPem: d.keys.serverKeyPem, certPem: d.keys.serverCertPem, caCertPem: d.caCertPem });
  const base = await scope.tempDir('palyra-outbox-it-');
  const nodeDir = join(base, 'node');
  const root = join(base, 'root');
  await mkdir(nodeDir, { mode: 0o700 });
  await mkdir(root);
  const configPath = join(base, 'palyra-node.config.json');
  await writeFile(configPath, JSON.stringify({
      plugins: [
        { use: 'shell', grants: { commands: ['sh'], roots: [root], timeoutMs: 120_000 } },
        { use: HANGING_PLUGIN },
        { use: 'filesystem', enabled: false },
        { use: 'browser', enabled: false },
      ],
    }));
  return { scripted, identity: { ...paired, daemonAddress: scripted.address }, nodeDir, root, configPath };
}

function memoryStore(identity: NodeIdentity): IdentityStore {
  return { backend: 'memory (test)', load: () => Promise.resolve(identity), save: () => Promise.resolve(), remove: () => Promise.resolve(false) };
}

/** Runs the real agent on the rig's state dir; returns how to stop it and wait for it. */
async function runAgent(r: Rig): Promise<{ stop: () => Promise<unknown> }> {
  const agent = await NodeAgent.create({ store: memoryStore(r.identity), configPath: r.configPath, stateDir: r.nodeDir, transportFallback: 'always' });
  const running = agent.run().then(
    () => undefined,
    (error: unknown) => error,
  );
  let stopped: Promise<unknown> | undefined;
  const stop = (): Promise<unknown> => {
    stopped ??= (async () => {
      agent.stop();
      return within(running, 20_000, 'the agent stops');
    })();
    return stopped;
  };
  scope.defer(stop);
  return { stop };
}

/**
 * A shell.exec dispatch whose command notes that it ran, waits for its gate file, then notes
 * that it finished (the count file shows each step exactly once if it ran once and was not killed).
 */
function gatedDispatch(r: Rig, dispatchId: string): DaemonMessage {
  const script = `echo run >> ${dispatchId}.count; until [ -e ${dispatchId}.gate ]; do sleep 0.02; done; echo done >> ${dispatchId}.count; echo finished`;
  return {
    dispatch: {
      dispatchId,
      capability: 'shell.exec',
      inputJson: JSON.stringify({ command: 'sh', args: ['-c', script], cwd: r.root }),
      timeoutMs: '60000',
      deadlineUnixMs: String(Date.now() + 60_000),
      idempotencyKey: '',
    },
  };
}

const count = (r: Rig, dispatchId: string): Promise<string> => readFile(join(r.root, `${dispatchId}.count`), 'utf8').catch(() => '');
const openGate = (r: Rig, dispatchId: string): Promise<void> => writeFile(join(r.root, `${dispatchId}.gate`), '');
const outboxFiles = (r: Rig): Promise<string[]> => readdir(join(r.nodeDir, 'outbox'));

async function waitForCount(r: Rig, dispatchId: string, expected: string): Promise<void> {
  await pollUntil(async () => ((await count(r, dispatchId)) === expected ? true : undefined), { timeoutMs: 20_000, intervalMs: 20, what: `${dispatchId}.count to read ${JSON.stringify(expected)}` });
}

const resultOf =
  (dispatchId: string) =>
  (message: NodeMessage__Output): NodeMessage__Output['result'] | undefined =>
    message.result?.dispatchId === dispatchId ? message.result : undefined;

describe('dispatches across lost sessions, and the result outbox (real agent, real gRPC)', { timeout: TEST_TIMEOUT_MS }, () => {
  it('a session lost mid-dispatch kills nothing; the result waits in the outbox, is listed and resent on each session (and after an agent restart) until acknowledged', async () => {
    const r = await rig();
    const first = await runAgent(r);
    const s1 = await r.scripted.nextSession(0);
    expect(s1.hello).toMatchObject({ deviceId: r.identity.deviceId, reconciles: true, runningDispatchIds: [], finishedDispatchIds: [] });

    s1.send(gatedDispatch(r, 'd1'));
    await waitForCount(r, 'd1', 'run\n');
    // The daemon is gone and stays gone for a while: the node's next attempts are refused.
    r.scripted.refuseSessions = true;
    s1.kill();
    await pollUntil(async () => (r.scripted.refused > 0 ? true : undefined), { timeoutMs: 20_000, intervalMs: 20, what: 'the node to try again' });

    // The command was not killed with the session: it finishes, and its result is kept on disk.
    await openGate(r, 'd1');
    await waitForCount(r, 'd1', 'run\ndone\n');
    const [file] = await pollUntil(async () => {
      // (A write in progress shows as a temp file first.)
      const files = await outboxFiles(r);
      return files.length === 1 && /^[0-9a-f]{64}\.json$/.test(files[0] as string) ? files : undefined;
    }, { timeoutMs: 20_000, intervalMs: 20, what: 'the result in the outbox' });
    const stored = await readFile(join(r.nodeDir, 'outbox', file as string), 'utf8');
    expect(JSON.parse(stored.slice(0, stored.indexOf('\n')))).toMatchObject({ version: 1, dispatchId: 'd1', status: 'succeeded', error: null });

    // The daemon is back: the hello lists the held result, which goes up after the welcome.
    r.scripted.refuseSessions = false;
    const s2 = await r.scripted.nextSession(1);
    expect(s2.hello).toMatchObject({ reconciles: true, runningDispatchIds: [], finishedDispatchIds: ['d1'] });
    const delivered = await s2.waitFor(resultOf('d1'), 'the held result on the new session');
    expect(delivered).toMatchObject({ dispatchId: 'd1', status: 'succeeded', error: null });
    expect(JSON.parse(delivered.outputJson)).toMatchObject({ exitCode: 0 });

    // No ack on that session: the result stays held, on disk, through a restart of the agent.
    await first.stop();
    expect(await outboxFiles(r)).toEqual([file]);
    await runAgent(r);
    const s3 = await r.scripted.nextSession(2);
    expect(s3.hello).toMatchObject({ runningDispatchIds: [], finishedDispatchIds: ['d1'] });
    expect(await s3.waitFor(resultOf('d1'), 'the held result after the restart')).toEqual(delivered);
    s3.send({ resultAck: { dispatchId: 'd1' } });
    await pollUntil(async () => ((await outboxFiles(r)).length === 0 ? true : undefined), { timeoutMs: 20_000, intervalMs: 20, what: 'the acknowledged result to leave the outbox' });
    // Ran once, whatever the sessions did.
    expect(await count(r, 'd1')).toBe('run\ndone\n');
  });

  it('a dispatch running across a reconnection is listed in the hello and its result goes up the new session; stopping the agent cancels what runs and keeps its result', async () => {
    const r = await rig();
    const agent = await runAgent(r);
    const s1 = await r.scripted.nextSession(0);
    s1.send(gatedDispatch(r, 'd2'));
    await waitForCount(r, 'd2', 'run\n');
    s1.kill();

    const s2 = await r.scripted.nextSession(1);
    expect(s2.hello).toMatchObject({ reconciles: true, runningDispatchIds: ['d2'], finishedDispatchIds: [] });
    await openGate(r, 'd2');
    expect(await s2.waitFor(resultOf('d2'), 'the result on the new session')).toMatchObject({ status: 'succeeded' });
    expect(await count(r, 'd2')).toBe('run\ndone\n');
    s2.send({ resultAck: { dispatchId: 'd2' } });
    // Delivered on a live session and acknowledged: never written.
    expect(await outboxFiles(r)).toEqual([]);

    // The agent stops while d3 runs: cancelled by the agent itself, its result kept for the next run.
    s2.send(gatedDispatch(r, 'd3'));
    await waitForCount(r, 'd3', 'run\n');
    await agent.stop();
    const files = await outboxFiles(r);
    expect(files).toHaveLength(1);
    const stored = await readFile(join(r.nodeDir, 'outbox', files[0] as string), 'utf8');
    expect(JSON.parse(stored.slice(0, stored.indexOf('\n')))).toMatchObject({ dispatchId: 'd3', status: 'cancelled', error: { code: 'PALYRA_E_CANCELLED' } });
  });

  it('stopping the agent does not wait on a capability deaf to its signal: it ends cancelled, and its result is kept', async () => {
    const r = await rig();
    const agent = await runAgent(r);
    const s1 = await r.scripted.nextSession(0);
    s1.send({ dispatch: { dispatchId: 'deaf', capability: 'hanging.forever', inputJson: '{}', timeoutMs: '600000', deadlineUnixMs: String(Date.now() + 600_000), idempotencyKey: '' } });
    await s1.waitFor((m) => (m.output?.dispatchId === 'deaf' ? true : undefined), 'the deaf capability to start');
    await agent.stop();
    const files = await outboxFiles(r);
    expect(files).toHaveLength(1);
    const stored = await readFile(join(r.nodeDir, 'outbox', files[0] as string), 'utf8');
    expect(JSON.parse(stored.slice(0, stored.indexOf('\n')))).toMatchObject({ dispatchId: 'deaf', status: 'cancelled', error: { code: 'PALYRA_E_CANCELLED' } });
  });
});
