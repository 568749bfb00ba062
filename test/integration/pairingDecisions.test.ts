/**
 * Operator decisions on pairing requests, against a real daemon and the real agent join: a
 * request is decided exactly once; any later decision (approve or reject, by request id or by
 * device id, sequential or racing) is PALYRA_E_REQUEST_NOT_FOUND and changes nothing.
 */
import { fingerprint, pemToDer } from '@palyra/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CA_SETUP_TIMEOUT_MS,
  Scope,
  TEST_TIMEOUT_MS,
  clientCredentials,
  confirmedOrFailed,
  nodeClient,
  prepareCas,
  registerNode,
  startDaemon,
  startJoin,
  type RunningDaemon,
  type StartedJoin,
} from './harness.js';

let scope: Scope;
beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

/** A join waiting in the approval queue. */
async function pendingJoin(d: RunningDaemon): Promise<{ join: StartedJoin; requestId: string; deviceId: string }> {
  const { code } = await d.control.createPairingCode({ method: 'pin' });
  const join = startJoin(scope, d.address, code);
  const { requestId, sas } = await confirmedOrFailed(join);
  const pending = await d.control.listPending();
  const request = pending.find((r) => r.requestId === requestId);
  if (request === undefined) throw new Error(`request ${requestId} is not pending: ${JSON.stringify(pending)}`);
  // The operator sees the code the node shows.
  expect(request.sas).toBe(sas);
  return { join, requestId, deviceId: request.deviceId };
}

async function expectNotFound(decision: Promise<unknown>): Promise<void> {
  await expect(decision).rejects.toMatchObject({ code: 'PALYRA_E_REQUEST_NOT_FOUND' });
}

describe('pairing decisions are final', { timeout: TEST_TIMEOUT_MS }, () => {
  it('refuses to approve (or reject) an approved request again, by request id or device id', async () => {
    const d = await startDaemon(scope);
    const { join, requestId, deviceId } = await pendingJoin(d);
    const approved = await d.control.decide(requestId, true);
    expect(approved.state).toBe('approved');
    const identity = await join.result;
    const [registered] = await d.control.listNodes();
    expect(registered?.certFingerprint).toBe(fingerprint(pemToDer(identity.certPem, 'CERTIFICATE')));

    await expectNotFound(d.control.decide(requestId, true));
    await expectNotFound(d.control.decide(deviceId, true));
    await expectNotFound(d.control.decide(requestId, false));
    await expectNotFound(d.control.decide(deviceId, false));

    // Nothing was re-issued or replaced: same single node, same certificate, still valid.
    const nodes = await d.control.listNodes();
    expect(nodes).toHaveLength(1);
    expect(nodes[0]?.certFingerprint).toBe(registered?.certFingerprint);
    const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: identity.tlsPrivateKeyPem, certPem: identity.certPem }));
    expect((await registerNode(client, identity.deviceId)).ok).toBe(true);
  });

  it('refuses to approve a rejected request', async () => {
    const d = await startDaemon(scope);
    const { join, requestId, deviceId } = await pendingJoin(d);
    expect((await d.control.decide(requestId, false)).state).toBe('rejected');
    await expect(join.result).rejects.toMatchObject({ code: 'PALYRA_E_PAIRING_REJECTED' });

    await expectNotFound(d.control.decide(requestId, true));
    await expectNotFound(d.control.decide(deviceId, true));
    await expectNotFound(d.control.decide(requestId, false));
    expect(await d.control.listNodes()).toEqual([]);
    expect(await d.control.listPending()).toEqual([]);
  });

  it('refuses to re-approve the request of a node that was removed since', async () => {
    const d = await startDaemon(scope);
    const { join, requestId, deviceId } = await pendingJoin(d);
    await d.control.decide(requestId, true);
    await join.result;
    await d.control.removeNode(deviceId);

    // Approving the old request again would bring a revoked node back.
    await expectNotFound(d.control.decide(requestId, true));
    await expectNotFound(d.control.decide(deviceId, true));
    expect(await d.control.listNodes()).toEqual([]);
  });

  it('lets exactly one of several racing approvals win, and the node gets the registered certificate', async () => {
    const d = await startDaemon(scope);
    const { join, requestId, deviceId } = await pendingJoin(d);

    const outcomes = await Promise.allSettled([
      d.control.decide(requestId, true),
      d.control.decide(requestId, true),
      d.control.decide(deviceId, true),
      d.control.decide(requestId, true),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'PALYRA_E_REQUEST_NOT_FOUND' });
    }

    const identity = await join.result;
    const nodes = await d.control.listNodes();
    expect(nodes).toHaveLength(1);
    expect(nodes[0]?.certFingerprint, 'the certificate the node received is the one registered').toBe(
      fingerprint(pemToDer(identity.certPem, 'CERTIFICATE')),
    );
    const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: identity.tlsPrivateKeyPem, certPem: identity.certPem }));
    expect((await registerNode(client, identity.deviceId)).ok).toBe(true);
  });

  it('lets exactly one of a racing approve and reject win, consistently', async () => {
    const d = await startDaemon(scope);
    const { join, requestId } = await pendingJoin(d);

    const [approve, reject] = await Promise.allSettled([d.control.decide(requestId, true), d.control.decide(requestId, false)]);
    const winners = [approve, reject].filter((o) => o.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    const loser = [approve, reject].find((o) => o.status === 'rejected');
    expect(loser?.status === 'rejected' ? loser.reason : undefined).toMatchObject({ code: 'PALYRA_E_REQUEST_NOT_FOUND' });

    if (approve.status === 'fulfilled') {
      const identity = await join.result;
      expect((await d.control.listNodes()).map((n) => n.deviceId)).toEqual([identity.deviceId]);
    } else {
      await expect(join.result).rejects.toMatchObject({ code: 'PALYRA_E_PAIRING_REJECTED' });
      expect(await d.control.listNodes()).toEqual([]);
    }
    await expectNotFound(d.control.decide(requestId, true));
  });

  it('refuses to approve a request that expired', async () => {
    const d = await startDaemon(scope, { daemon: { requestTtlMs: 3_000 } });
    const { code } = await d.control.createPairingCode({ method: 'pin' });
    const join = startJoin(scope, d.address, code);
    const { requestId } = await confirmedOrFailed(join);
    // The daemon's expiry sweep tells the waiting node; no clock is asserted here.
    await expect(join.result).rejects.toMatchObject({ code: 'PALYRA_E_PAIRING_EXPIRED' });

    await expectNotFound(d.control.decide(requestId, true));
    expect(await d.control.listNodes()).toEqual([]);
  });

  it('refuses an unknown request id', async () => {
    const d = await startDaemon(scope);
    await expectNotFound(d.control.decide('01J00000000000000000000000', true));
    await expectNotFound(d.control.decide('not-a-request', false));
  });
});
