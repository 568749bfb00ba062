/**
 * Review of the renewal lifecycle (issue 15): attacks found by the review, each against a real
 * in-process daemon on 127.0.0.1 with real join, keys, CSRs and signatures.
 */
import { randomBytes } from 'node:crypto';
import { fingerprint, pemToDer } from '@palyra/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NodeIdentity } from '../../agent/src/identity/index.js';
import { CA_SETUP_TIMEOUT_MS, Scope, TEST_TIMEOUT_MS, clientCredentials, nodeClient, pairNode, prepareCas, startDaemon, type RunningDaemon } from './harness.js';
import { renewOn, renewedIdentity, type RenewOutcome } from '../helpers/renewalProbe.js';

let scope: Scope;
beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

function certClient(d: RunningDaemon, identity: NodeIdentity): ReturnType<typeof nodeClient> {
  return nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: identity.tlsPrivateKeyPem, certPem: identity.certPem }));
}

function outcomeCode(outcome: RenewOutcome): string {
  return outcome.ok ? 'issued' : outcome.palyra.code;
}

describe('renewal review', { timeout: TEST_TIMEOUT_MS }, () => {
  it('a node cannot renew in a loop: after a burst it is refused (PALYRA_E_RENEWAL_BUSY), so the deny list cannot grow at its will; failed proofs spend nothing', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    // Someone without the identity key cannot spend the node's budget.
    for (let i = 0; i < 8; i += 1) {
      expect(outcomeCode(await renewOn(scope, certClient(d, node), node, { ed25519PrivateKey: randomBytes(32) }))).toBe('PALYRA_E_RENEWAL_REFUSED');
    }
    let identity = node;
    const codes: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const outcome = await renewOn(scope, certClient(d, identity), identity);
      codes.push(outcomeCode(outcome));
      if (outcome.ok) identity = renewedIdentity(identity, outcome);
    }
    expect(codes.slice(0, 6)).toEqual(Array(6).fill('issued'));
    expect(codes.slice(6)).toEqual(Array(4).fill('PALYRA_E_RENEWAL_BUSY'));
    // The refusal says when to retry, and the node keeps its working certificate.
    const busy = await renewOn(scope, certClient(d, identity), identity);
    expect(busy.ok ? '' : busy.palyra.message).toMatch(/retry in \d+ s/);
    expect((await d.control.listNodes()).find((n) => n.deviceId === node.deviceId)?.certFingerprint).toBe(fingerprint(pemToDer(identity.certPem, 'CERTIFICATE')));
  });
});
