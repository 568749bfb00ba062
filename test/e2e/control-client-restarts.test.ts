/**
 * One ControlClient outlives two restarts of a real palyrad on the same state dir (and so
 * the same admin socket): every unary method works after each restart, fails with
 * PALYRA_E_DAEMON_UNREACHABLE (a PalyraError, never a raw Node error) while no daemon runs,
 * and the approvals screen's decision path (controlClientSource over the same client)
 * approves a join made after the restart.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PalyraError } from '@palyra/shared/errors';
import { controlClientSource } from '../../daemon/src/approvals/approvalsFeed.js';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import { DaemonProcess, spawnJoin } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, pollUntil, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();
let client: ControlClient | undefined;

afterEach(async () => {
  client?.close();
  client = undefined;
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

/** Every unary method of ControlClient. */
const UNARY_CALLS: Record<string, (c: ControlClient) => Promise<unknown>> = {
  status: (c) => c.status({ timeoutMs: 5_000 }),
  createPairingCode: (c) => c.createPairingCode({ method: 'pin' }, { timeoutMs: 5_000 }),
  listPending: (c) => c.listPending({ timeoutMs: 5_000 }),
  listNodes: (c) => c.listNodes({ timeoutMs: 5_000 }),
  // Called for ids that do not exist, which a running daemon refuses with its own code; the
  // round below also decides and removes for real.
  cancelDispatch: (c) => c.cancelDispatch('no-such-dispatch', { timeoutMs: 5_000 }),
  decide: (c) => c.decide('no-such-request', true, { timeoutMs: 5_000 }),
  removeNode: (c) => c.removeNode('01JA0000000000000000000AAA', { timeoutMs: 5_000 }),
};

/** The error a call rejected with; throws when it resolved. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('the call succeeded');
}

/**
 * With the daemon up: every unary method reaches it, a join made now is approved through
 * the approvals screen's source, the node is listed, then removed.
 */
async function round(c: ControlClient, daemon: DaemonProcess, label: string): Promise<void> {
  const status = await c.status({ timeoutMs: 5_000 });
  expect(status.pid, `${label}: the status comes from the running daemon`).toBe(daemon.ready.pid);
  expect(await c.listNodes({ timeoutMs: 5_000 })).toEqual([]);
  expect(await c.listPending({ timeoutMs: 5_000 })).toEqual([]);
  for (const name of ['cancelDispatch', 'decide', 'removeNode'] as const) {
    const error = await rejection(UNARY_CALLS[name]!(c));
    expect(error, `${label}: ${name} of an unknown id`).toBeInstanceOf(PalyraError);
    expect((error as PalyraError).code, `${label}: ${name} reached the daemon`).not.toBe('PALYRA_E_DAEMON_UNREACHABLE');
  }

  const code = await c.createPairingCode({ method: 'pin' }, { timeoutMs: 5_000 });
  const nodeDir = join(await dirs.make('palyra-e2e-restart-node-'), 'node');
  const joining = spawnJoin(nodeDir, daemon, code.code, ['--name', `node-${label}`]);
  const [, requestId] = await joining.waitFor(/\(request (\S+?)[,)]/);
  await joining.waitFor(/^waiting for approval$/m);
  const pending = await pollUntil(async () => (await c.listPending({ timeoutMs: 5_000 })).find((r) => r.requestId === requestId), { what: `request ${requestId} in listPending` });

  const decided = await controlClientSource(c).decide(pending.requestId, true, false);
  expect(decided.state, `${label}: the approvals screen's decision`).toBe('approved');
  const joined = await joining.waitForExit();
  expect(joined.code, joined.stderr).toBe(0);

  const nodes = await c.listNodes({ timeoutMs: 5_000 });
  expect(nodes.map((n) => n.deviceId)).toEqual([pending.deviceId]);
  const removed = await c.removeNode(pending.deviceId, { timeoutMs: 5_000 });
  expect(removed.deviceId).toBe(pending.deviceId);
  expect(await c.listNodes({ timeoutMs: 5_000 })).toEqual([]);
}

describe('ControlClient across daemon restarts', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('keeps working through two restarts, with a coded error for every unary call while the daemon is down', async () => {
    const stateDir = join(await dirs.make('palyra-e2e-restart-'), 'daemon');
    let daemon = await DaemonProcess.start(stateDir);
    client = await ControlClient.connect(stateDir);
    await round(client, daemon, 'first');

    for (const restart of ['second', 'third']) {
      const stopped = await daemon.stop();
      expect(stopped.code, stopped.stderr).toBe(0);
      for (const [name, call] of Object.entries(UNARY_CALLS)) {
        const error = await rejection(call(client));
        expect(error, `${name} while the daemon is down: ${String(error)}`).toBeInstanceOf(PalyraError);
        expect((error as PalyraError).code, `${name} while the daemon is down`).toBe('PALYRA_E_DAEMON_UNREACHABLE');
      }
      daemon = await DaemonProcess.start(stateDir);
      await round(client, daemon, restart);
    }
  });
});
