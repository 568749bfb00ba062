/**
 * Issue 15 part 4, operators see certificates coming, against a real daemon on 127.0.0.1 with
 * nodes paired by the agent's real join: the certificate state in nodes list and status, the
 * cert.renewed event of a real RenewCertificate exchange, the cert.expiring / cert.expired events on StreamEvents and the approvals watch (once per
 * certificate and state), and `nodes renew` pushing RenewNow down live Session streams. The
 * daemon's certificate clock is moved ahead (DaemonOptions.certificateClock) instead of
 * waiting days.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DaemonEvent } from '@palyra/shared/quic';
import type { ApprovalsEvent } from '../../daemon/src/client/approvals.js';
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { controlClientSource } from '../../daemon/src/approvals/approvalsFeed.js';
import { ApprovalsApp } from '../../daemon/src/ui/ApprovalsApp.js';
import { plain, waitForFrame } from '../../daemon/test/ui/helpers.js';
import { rejection } from '../helpers/errorAssertions.js';
import { PALYRAD, spawnBin } from '../helpers/processes.js';
import { renewOn, renewedIdentity } from '../helpers/renewalProbe.js';
import { CA_SETUP_TIMEOUT_MS, Scope, SessionProbe, TEST_TIMEOUT_MS, clientCredentials, nodeClient, pairNode, prepareCas, registerNode, startDaemon, within, type RunningDaemon } from './harness.js';

const DAY = 24 * 60 * 60_000;
let scope: Scope;

beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

/** Collects what an async iterable yields; `next(match)` waits for the first item after `from` that matches. */
class Collected<T> {
  readonly items: T[] = [];
  private waiters: Array<() => void> = [];

  constructor(iterable: AsyncIterable<T>) {
    void (async () => {
      try {
        for await (const item of iterable) {
          this.items.push(item);
          for (const wake of this.waiters.splice(0)) wake();
        }
      } catch {
        // Ended by the test's abort.
      }
    })();
  }

  async next(match: (item: T) => boolean, from: number, what: string): Promise<{ item: T; index: number }> {
    const find = (): { item: T; index: number } | undefined => {
      for (let index = from; index < this.items.length; index += 1) {
        const item = this.items[index] as T;
        if (match(item)) return { item, index };
      }
      return undefined;
    };
    return within(
      (async () => {
        for (;;) {
          const found = find();
          if (found !== undefined) return found;
          await new Promise<void>((resolve) => this.waiters.push(resolve));
        }
      })(),
      15_000,
      what,
    );
  }
}

function follow(d: RunningDaemon): { events: Collected<DaemonEvent>; approvals: Collected<ApprovalsEvent> } {
  const abort = new AbortController();
  scope.defer(() => abort.abort());
  return {
    events: new Collected(d.control.streamEvents({ types: ['cert.renewed', 'cert.expiring', 'cert.expired'], signal: abort.signal })),
    approvals: new Collected(d.control.watchApprovals({ signal: abort.signal })),
  };
}

describe('certificate states for operators', { timeout: TEST_TIMEOUT_MS }, () => {
  it('nodes list, status, events and the approvals feed follow a certificate from valid to past its grace, once per state', async () => {
    const clock = { offsetMs: 0 };
    const d = await startDaemon(scope, {
      daemon: { renewalGraceMs: 2 * DAY, certSweepIntervalMs: 25, certificateClock: () => new Date(Date.now() + clock.offsetMs) },
    });
    const identity = await pairNode(scope, d, 'cert-node');
    const { events, approvals } = follow(d);
    await approvals.next((e) => e.type === 'snapshot', 0, 'the approvals snapshot');

    const [row] = await d.control.listNodes();
    expect(row).toMatchObject({ deviceId: identity.deviceId, certState: 'valid', certRenewedAt: '' });
    const expiresAt = Date.parse(row?.certExpiresAt ?? '');
    const lifetime = expiresAt - Date.parse(row?.certIssuedAt ?? '');
    expect(lifetime).toBeGreaterThan(0);
    expect((await d.control.status()).certificates).toEqual({ valid: 1, renewing: 0, expiring: 0, expired: 0, inGrace: 0 });

    // A tenth of the lifetime left: under a sixth.
    clock.offsetMs = expiresAt - lifetime / 10 - Date.now();
    const expiring = await events.next((e) => e.type === 'cert.expiring', 0, 'cert.expiring');
    expect(expiring.item).toMatchObject({ type: 'cert.expiring', deviceId: identity.deviceId, name: 'cert-node', state: 'expiring', certExpiresAt: row?.certExpiresAt });
    expect((await d.control.listNodes())[0]?.certState).toBe('expiring');
    expect((await d.control.status()).certificates).toMatchObject({ valid: 0, expiring: 1 });
    await approvals.next((e) => e.type === 'certificate' && e.event.type === 'cert.expiring', 0, 'cert.expiring in the approvals feed');

    // The next certificate event is the expiry, not a repeat (repeated sweeps: the unit test).
    clock.offsetMs = expiresAt + DAY - Date.now();
    const inGrace = await events.next(() => true, expiring.index + 1, 'cert.expired (in grace)');
    expect(inGrace.item).toMatchObject({ type: 'cert.expired', state: 'in_grace', graceEndsAt: new Date(expiresAt + 2 * DAY).toISOString() });
    expect((await d.control.status()).certificates).toMatchObject({ expiring: 0, inGrace: 1 });
    expect((await d.control.listNodes())[0]?.certState).toBe('in_grace');

    clock.offsetMs = expiresAt + 3 * DAY - Date.now();
    const expired = await events.next(() => true, inGrace.index + 1, 'cert.expired (past the grace)');
    expect(expired.item).toMatchObject({ type: 'cert.expired', state: 'expired', deviceId: identity.deviceId });
    expect((await d.control.status()).certificates).toMatchObject({ inGrace: 0, expired: 1 });
    const feed = await approvals.next((e) => e.type === 'certificate' && e.event.type === 'cert.expired' && e.event.state === 'expired', 0, 'cert.expired in the approvals feed');
    expect(feed.item.type === 'certificate' && feed.item.event.deviceId).toBe(identity.deviceId);
    expect(events.items.map((e) => (e.type === 'cert.expiring' || e.type === 'cert.expired' ? e.state : e.type))).toEqual(['expiring', 'in_grace', 'expired']);
  });

  it('palyrad events prints the certificate events, as text and as JSON Lines', async () => {
    const clock = { offsetMs: 0 };
    const d = await startDaemon(scope, { daemon: { certSweepIntervalMs: 25, certificateClock: () => new Date(Date.now() + clock.offsetMs) } });
    const identity = await pairNode(scope, d, 'printed-node');
    const text = spawnBin(PALYRAD, ['events', '--state-dir', d.stateDir]);
    const json = spawnBin(PALYRAD, ['events', '--state-dir', d.stateDir, '--type', 'node.online', '--type', 'cert.expiring', '--json']);
    scope.defer(() => Promise.all([text.stop(), json.stop()]));
    // A node coming online shows both followers are subscribed before the clock moves; the
    // processes take a moment to start, so the node connects again until both printed it.
    const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: identity.tlsPrivateKeyPem, certPem: identity.certPem }));
    const subscribed = Promise.all([text.waitFor(/node \S+ \(printed-node\)\s+online/), json.waitFor(/"type":"node.online"/)]);
    await within(
      (async () => {
        for (;;) {
          await new SessionProbe(scope, client, identity.deviceId).firstMessage;
          const retry = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 500));
          if (await Promise.race([subscribed.then(() => true), retry])) return;
        }
      })(),
      60_000,
      'palyrad events following',
    );
    const [row] = await d.control.listNodes();
    const expiresAt = Date.parse(row?.certExpiresAt ?? '');
    clock.offsetMs = expiresAt - (expiresAt - Date.parse(row?.certIssuedAt ?? '')) / 10 - Date.now();
    await text.waitFor(new RegExp(`certificate of printed-node \\(${identity.deviceId}\\) expiring at \\S+ and not renewed: palyrad nodes renew ${identity.deviceId}`));
    const [line] = await json.waitFor(/^\{"type":"cert\.expiring".*\}$/m);
    expect(JSON.parse(line)).toMatchObject({ type: 'cert.expiring', deviceId: identity.deviceId, name: 'printed-node', state: 'expiring' });
  });

  it('a renewal is reported as cert.renewed, and the node is renewing until it presents the new certificate', async () => {
    const d = await startDaemon(scope);
    const identity = await pairNode(scope, d, 'renewed-node');
    const { events, approvals } = follow(d);
    await approvals.next((e) => e.type === 'snapshot', 0, 'the approvals snapshot');
    const [before] = await d.control.listNodes();

    const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: identity.tlsPrivateKeyPem, certPem: identity.certPem }));
    const renewed = await renewOn(scope, client, identity);
    if (!renewed.ok) throw renewed.palyra;
    const { item } = await events.next((e) => e.type === 'cert.renewed', 0, 'cert.renewed');
    expect(item).toMatchObject({
      type: 'cert.renewed',
      deviceId: identity.deviceId,
      name: 'renewed-node',
      certFingerprint: renewed.fingerprint,
      previousCertFingerprint: before?.certFingerprint,
      certExpiresAt: renewed.issued.certExpiresAt,
    });
    await approvals.next((e) => e.type === 'certificate' && e.event.type === 'cert.renewed', 0, 'cert.renewed in the approvals feed');
    const [renewing] = await d.control.listNodes();
    expect(renewing).toMatchObject({ certState: 'renewing', certFingerprint: renewed.fingerprint });
    expect(renewing?.certRenewedAt).not.toBe('');
    expect(renewing?.certIssuedAt).not.toBe('');
    expect((await d.control.status()).certificates).toMatchObject({ valid: 0, renewing: 1 });

    // The node presents the new certificate: the previous one is retired, the state is valid again.
    const next = renewedIdentity(identity, renewed);
    const registered = await registerNode(nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: next.tlsPrivateKeyPem, certPem: next.certPem })), next.deviceId);
    expect(registered.ok).toBe(true);
    expect((await d.control.listNodes())[0]?.certState).toBe('valid');
    expect((await d.control.status()).certificates).toMatchObject({ valid: 1, renewing: 0 });
  });

  it('the approvals TUI against the daemon shows a certificate turning expiring in its events pane', async () => {
    const clock = { offsetMs: 0 };
    const d = await startDaemon(scope, { daemon: { certSweepIntervalMs: 25, certificateClock: () => new Date(Date.now() + clock.offsetMs) } });
    const identity = await pairNode(scope, d, 'tui-node');
    const app = render(createElement(ApprovalsApp, { source: controlClientSource(d.control), size: { columns: 120, rows: 24 } }));
    scope.defer(() => app.unmount());
    const frame = (): string => plain(app.lastFrame());
    await waitForFrame(frame, (f) => f.includes('no pairing requests waiting'), { what: 'the live TUI' });
    const [row] = await d.control.listNodes();
    const expiresAt = Date.parse(row?.certExpiresAt ?? '');
    clock.offsetMs = expiresAt - (expiresAt - Date.parse(row?.certIssuedAt ?? '')) / 10 - Date.now();
    await waitForFrame(frame, (f) => f.includes(`certificate of tui-node (${identity.deviceId}) expiring`), { what: 'the expiring line' });
  });

  it('status reports the server certificate', async () => {
    const d = await startDaemon(scope);
    const status = await d.control.status();
    expect(status.serverCertFingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(status.serverCertExpiresAt)).toBeGreaterThan(Date.now() + 200 * DAY);
  });
});

describe('palyrad nodes renew', { timeout: TEST_TIMEOUT_MS }, () => {
  it('pushes RenewNow down the live Session of the nodes asked and lists those offline', async () => {
    const d = await startDaemon(scope);
    const online = await pairNode(scope, d, 'online-node');
    const offline = await pairNode(scope, d, 'offline-node');
    const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: online.tlsPrivateKeyPem, certPem: online.certPem }));
    const session = new SessionProbe(scope, client, online.deviceId);
    expect((await session.firstMessage).body).toBe('welcome');

    const renew = session.nextMatching((m) => m.body === 'renew');
    const one = await d.control.renewNodes({ deviceId: online.deviceId }, { reason: 'rotate before the audit' });
    expect(one).toEqual({ asked: [{ deviceId: online.deviceId, name: 'online-node' }], offline: [] });
    expect((await within(renew, 5_000, 'RenewNow')).renew).toEqual({ reason: 'rotate before the audit' });

    const again = session.nextMatching((m) => m.body === 'renew');
    const all = await d.control.renewNodes({ all: true });
    expect(all.asked).toEqual([{ deviceId: online.deviceId, name: 'online-node' }]);
    expect(all.offline).toEqual([{ deviceId: offline.deviceId, name: 'offline-node' }]);
    expect((await within(again, 5_000, 'RenewNow for --all')).renew?.reason).toContain('operator');

    expect(await d.control.renewNodes({ deviceId: offline.deviceId })).toEqual({ asked: [], offline: [{ deviceId: offline.deviceId, name: 'offline-node' }] });
    expect((await rejection(d.control.renewNodes({ deviceId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }))).code).toBe('PALYRA_E_NODE_NOT_FOUND');
    expect((await rejection(d.control.renewNodes({ deviceId: '' }))).code).toBe('PALYRA_E_INVALID_ARGUMENT');
    expect((await rejection(d.control.renewNodes({ deviceId: online.deviceId }, { reason: 'x'.repeat(201) }))).code).toBe('PALYRA_E_INVALID_ARGUMENT');
    // The session is still up: asking is no disruption.
    expect(await d.control.renewNodes({ deviceId: online.deviceId })).toMatchObject({ asked: [{ deviceId: online.deviceId }] });
  });
});
