/**
 * `palyrad approvals` against a real daemon in-process: the WatchApprovals stream
 * (snapshot, then live request and node events, expiry, shutdown), and the Ink app driven by
 * keys with ink-testing-library while real joins wait for its decisions.
 */
import { render, cleanup } from 'ink-testing-library';
import { createElement } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PalyraError } from '@palyra/shared';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import type { ApprovalsEvent } from '../../daemon/src/client/approvals.js';
import { controlClientSource } from '../../daemon/src/approvals/approvalsFeed.js';
import { ApprovalsApp } from '../../daemon/src/ui/ApprovalsApp.js';
import { KEYS, lineWidths, listRows, plain, settle, waitForFrame } from '../../daemon/test/ui/helpers.js';
import {
  Scope,
  SessionProbe,
  clientCredentials,
  confirmedOrFailed,
  nodeClient,
  startDaemon,
  startJoin,
  within,
  type RunningDaemon,
  type StartedJoin,
} from './harness.js';

/** Bound for "at once": a liveness check on a loaded 2-core machine, not a measurement. */
const LIVE_BOUND_MS = 10_000;
/** A join finishing after the decision (its certificate handed over): also a liveness bound. */
const JOIN_BOUND_MS = 30_000;
/** Each test pairs real nodes (key generation, CPace): slow when the machine is busy. */
const TEST_TIMEOUT_MS = 120_000;

let scope: Scope;
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  cleanup();
  await scope.dispose();
});

/** Collects a watch's events; `next()` waits for the first unread one matching. */
class WatchProbe {
  readonly events: ApprovalsEvent[] = [];
  readonly abort = new AbortController();
  readonly ended: Promise<unknown>;
  private read = 0;
  private wake: (() => void) | undefined;

  constructor(client: ControlClient) {
    scope.defer(() => this.abort.abort());
    this.ended = (async () => {
      try {
        for await (const event of client.watchApprovals({ signal: this.abort.signal })) {
          this.events.push(event);
          this.wake?.();
        }
        return 'ended';
      } catch (error) {
        return error;
      } finally {
        this.wake?.();
      }
    })();
  }

  async next<T extends ApprovalsEvent['type']>(type: T, what: string = type): Promise<ApprovalsEvent & { type: T }> {
    const deadline = Date.now() + LIVE_BOUND_MS;
    for (;;) {
      while (this.read < this.events.length) {
        const event = this.events[this.read++];
        if (event?.type === type) return event as ApprovalsEvent & { type: T };
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} event within ${LIVE_BOUND_MS} ms; got ${JSON.stringify(this.events.map((e) => e.type))}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, Math.min(left, 100));
      });
    }
  }
}

async function joinAndConfirm(d: RunningDaemon, name: string): Promise<StartedJoin & { sas: string; requestId: string }> {
  const { code } = await d.control.createPairingCode({ method: 'pin' });
  const join = startJoin(scope, d.address, code, { name });
  const { sas, requestId } = await confirmedOrFailed(join);
  return { ...join, sas, requestId };
}

function mountApp(d: RunningDaemon) {
  const app = render(createElement(ApprovalsApp, { source: controlClientSource(d.control), size: { columns: 80, rows: 24 } }));
  const frame = (): string => plain(app.lastFrame());
  const until = (test: string | RegExp | ((f: string) => boolean), what = String(test)): Promise<string> =>
    waitForFrame(frame, typeof test === 'function' ? test : (f) => (typeof test === 'string' ? f.includes(test) : test.test(f)), {
      timeoutMs: LIVE_BOUND_MS,
      what,
    });
  return { ...app, frame, until };
}

describe('AdminService.WatchApprovals', { timeout: TEST_TIMEOUT_MS }, () => {
  it('sends a snapshot, then requests as they are added and decided, and nodes going online and offline', async () => {
    const d = await startDaemon(scope);
    const watch = new WatchProbe(d.control);
    const first = await watch.next('snapshot');
    expect(first).toMatchObject({ requests: [], nodes: [] });
    expect(Date.parse(first.at)).not.toBeNaN();

    const join = await joinAndConfirm(d, 'watched-node');
    const added = await watch.next('request-added');
    expect(added.request).toMatchObject({ requestId: join.requestId, sas: join.sas, name: 'watched-node', state: 'pending_approval', repair: false });
    expect(added.request.remoteAddress).toMatch(/127\.0\.0\.1:\d+/);
    expect(added.request.platform).toBe(`${process.platform}-${process.arch}`);

    // A second watcher joining now sees the request in its snapshot.
    const late = new WatchProbe(d.control);
    expect((await late.next('snapshot')).requests.map((r) => r.requestId)).toEqual([join.requestId]);

    await d.control.decide(join.requestId, true);
    const decided = await watch.next('request-decided');
    expect(decided).toMatchObject({ outcome: 'approved', request: { requestId: join.requestId, state: 'approved' } });
    expect((await late.next('request-decided')).outcome).toBe('approved');
    const identity = await join.result;

    const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: identity.tlsPrivateKeyPem, certPem: identity.certPem }));
    const session = new SessionProbe(scope, client, identity.deviceId);
    await session.firstMessage;
    const online = await watch.next('node-online');
    expect(online.node).toMatchObject({ deviceId: identity.deviceId, name: 'watched-node', status: 'online' });
    expect(online.node.remoteAddress).toMatch(/127\.0\.0\.1:\d+/);

    const third = new WatchProbe(d.control);
    expect((await third.next('snapshot')).nodes).toEqual([
      expect.objectContaining({ deviceId: identity.deviceId, name: 'watched-node', status: 'online' }),
    ]);

    await d.control.removeNode(identity.deviceId);
    expect((await watch.next('node-offline')).node).toMatchObject({ deviceId: identity.deviceId, status: 'offline' });
  });

  it('reports a rejection', async () => {
    const d = await startDaemon(scope);
    const watch = new WatchProbe(d.control);
    await watch.next('snapshot');
    const rejected = await joinAndConfirm(d, 'to-reject');
    await watch.next('request-added');
    await d.control.decide(rejected.requestId, false);
    expect(await watch.next('request-decided')).toMatchObject({ outcome: 'rejected', request: { requestId: rejected.requestId, state: 'rejected' } });
    await expect(rejected.result).rejects.toMatchObject({ code: 'PALYRA_E_PAIRING_REJECTED' });
  });

  it('reports an expiry as it happens (the daemon sweeps; the client does not poll)', async () => {
    const d = await startDaemon(scope, { daemon: { requestTtlMs: 2_000 } });
    const watch = new WatchProbe(d.control);
    await watch.next('snapshot');
    const expiring = await joinAndConfirm(d, 'to-expire');
    await watch.next('request-added');
    const expired = await watch.next('request-decided', 'expiry');
    expect(expired).toMatchObject({ outcome: 'expired', request: { requestId: expiring.requestId, state: 'expired' } });
  });

  it('ends quietly when the watcher aborts, and with DAEMON_UNREACHABLE when the daemon stops', async () => {
    const d = await startDaemon(scope);
    const quitting = new WatchProbe(d.control);
    await quitting.next('snapshot');
    quitting.abort.abort();
    expect(await within(quitting.ended, LIVE_BOUND_MS, 'the aborted watch to end')).toBe('ended');

    const staying = new WatchProbe(d.control);
    await staying.next('snapshot');
    await d.daemon.stop();
    const error = await within(staying.ended, LIVE_BOUND_MS, 'the watch to end with the daemon');
    expect(error).toBeInstanceOf(PalyraError);
    // Ended by the admin server itself (not cut by a forced shutdown after its grace period).
    expect(error).toMatchObject({ code: 'PALYRA_E_DAEMON_UNREACHABLE', message: 'the daemon is shutting down' });
  });
});

describe('the approvals TUI against a real daemon', { timeout: TEST_TIMEOUT_MS }, () => {
  it('shows a join live with the SAS the node printed; approving with a then y completes the join', async () => {
    const d = await startDaemon(scope);
    const app = mountApp(d);
    await app.until('no pairing requests waiting');

    const join = await joinAndConfirm(d, 'tui-laptop');
    const frame = await app.until(join.sas);
    expect(frame).toMatch(new RegExp(`› tui-laptop\\s+${process.platform}-${process.arch}\\s+127\\.0\\.0\\.1:\\d+\\s+${join.sas}\\s+\\d+s`));
    expect(frame).toContain('1 pending');
    expect(frame).toContain(`request tui-laptop (${process.platform}-${process.arch}) from 127.0.0.1:`);
    expect(Math.max(...lineWidths(app.lastFrame()))).toBeLessThanOrEqual(80);

    await settle();
    app.stdin.write('a');
    await app.until('[y/n]');
    app.stdin.write('y');
    const identity = await within(join.result, JOIN_BOUND_MS, 'the join to complete');
    await app.until('approved tui-laptop: the node receives its certificate');
    await app.until('no pairing requests waiting');
    expect((await d.control.listNodes()).map((n) => n.deviceId)).toEqual([identity.deviceId]);

    // The node's session shows in the events pane.
    const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: identity.tlsPrivateKeyPem, certPem: identity.certPem }));
    const session = new SessionProbe(scope, client, identity.deviceId);
    await session.firstMessage;
    await app.until(/online {2}tui-laptop from 127\.0\.0\.1:\d+/);
    await app.until('nodes 1/1 online');
    await d.control.removeNode(identity.deviceId);
    await app.until('offline tui-laptop');
  });

  it('moves between requests, cancels a confirmation (nothing decided), and rejects with r then y', async () => {
    const d = await startDaemon(scope);
    const app = mountApp(d);
    await app.until('no pairing requests waiting');
    const first = await joinAndConfirm(d, 'first-node');
    await app.until(first.sas);
    const second = await joinAndConfirm(d, 'second-node');
    await app.until(second.sas);
    expect(app.frame()).toContain('› first-node');
    await settle();

    app.stdin.write(KEYS.down);
    await app.until('› second-node');
    app.stdin.write('a');
    await app.until('Approve second-node');
    app.stdin.write('n');
    await app.until('cancelled: nothing was decided');
    expect((await d.control.listPending()).map((r) => r.requestId).sort()).toEqual([first.requestId, second.requestId].sort());

    app.stdin.write('r');
    await app.until(`Reject second-node (SAS ${second.sas}`);
    app.stdin.write('y');
    await expect(within(second.result, JOIN_BOUND_MS, 'the rejected join to fail')).rejects.toMatchObject({ code: 'PALYRA_E_PAIRING_REJECTED' });
    await app.until('rejected second-node');
    await app.until((f) => !listRows(f).includes(second.sas), 'the rejected row to go');
    expect(app.frame()).toContain('› first-node');
    expect((await d.control.listPending()).map((r) => r.requestId)).toEqual([first.requestId]);

    app.stdin.write('k');
    app.stdin.write('q');
    await settle(100);
    // Quitting decided nothing.
    expect((await d.control.listPending()).map((r) => r.requestId)).toEqual([first.requestId]);
  });

  it("drops a row at once when a second operator decides it, also while it is being confirmed", async () => {
    const d = await startDaemon(scope);
    const other = await ControlClient.connect(d.stateDir);
    scope.defer(() => other.close());
    const app = mountApp(d);
    await app.until('no pairing requests waiting');

    const one = await joinAndConfirm(d, 'decided-elsewhere');
    await app.until(one.sas);
    await other.decide(one.requestId, true);
    await app.until((f) => !listRows(f).includes(one.sas), 'the row decided by the other operator to go');
    expect(app.frame()).toContain('approved decided-elsewhere');
    await within(one.result, JOIN_BOUND_MS, 'the join approved by the other operator');

    const two = await joinAndConfirm(d, 'raced-node');
    await app.until(two.sas);
    await settle();
    app.stdin.write('a');
    await app.until('Approve raced-node');
    await other.decide(two.requestId, false);
    const raced = await app.until('raced-node was rejected elsewhere');
    expect(raced).not.toContain('[y/n]');
    expect(listRows(raced)).not.toContain(two.sas);
    app.stdin.write('y'); // the confirmation is gone: nothing is sent
    await expect(two.result).rejects.toMatchObject({ code: 'PALYRA_E_PAIRING_REJECTED' });
  });
});
