/**
 * The total cap on concurrent pairing exchanges, on a real daemon (the per-address cap and its
 * log line are covered through the built binary in test/e2e/pairing-limits.test.ts): Pair
 * streams over `pairingLimits.total` are refused at once with RESOURCE_EXHAUSTED and
 * PALYRA_E_PAIRING_BUSY, and a slot freed by a stream that ends is usable again.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CA_SETUP_TIMEOUT_MS,
  PairProbe,
  Scope,
  TEST_TIMEOUT_MS,
  expectPalyraStatus,
  pairingClient,
  prepareCas,
  startDaemon,
  within,
} from './harness.js';

let scope: Scope;
beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

describe('PairingService: concurrent exchanges', { timeout: TEST_TIMEOUT_MS }, () => {
  it('refuses Pair streams over the total cap with PALYRA_E_PAIRING_BUSY, and admits one again once a slot is free', async () => {
    const d = await startDaemon(scope, { daemon: { pairingLimits: { total: 2, perAddress: 32 } } });
    const client = await pairingClient(scope, d);
    const held = [new PairProbe(scope, client), new PairProbe(scope, client)];
    const over = [new PairProbe(scope, client), new PairProbe(scope, client)];
    for (const probe of over) {
      const outcome = await within(probe.ended, 10_000, 'the stream over the cap to be refused');
      if (outcome.ok) throw new Error('the stream over the cap ended OK');
      const palyra = expectPalyraStatus(outcome, 'PALYRA_E_PAIRING_BUSY', grpc.status.RESOURCE_EXHAUSTED);
      expect(palyra.message).toMatch(/--max-pairings\b/);
    }

    // One held stream ends (the peer leaves): its slot is free again. A stream that is admitted
    // and says something wrong gets PALYRA_E_PAIRING_PROTOCOL instead of PALYRA_E_PAIRING_BUSY
    // (retried: the daemon frees the slot when it sees the cancellation).
    held[0]?.call.cancel();
    const deadline = Date.now() + 20_000;
    let code = 'PALYRA_E_PAIRING_BUSY';
    while (code === 'PALYRA_E_PAIRING_BUSY' && Date.now() < deadline) {
      const probe = new PairProbe(scope, client);
      probe.send({ hello: { protocol: 'not-a-protocol', method: 'PAIRING_METHOD_PIN', nonce: Buffer.alloc(32) } });
      const outcome = await within(probe.ended, 10_000, 'the probe stream to end');
      code = outcome.ok ? 'ended OK' : outcome.palyra.code;
    }
    expect(code).toBe('PALYRA_E_PAIRING_PROTOCOL');
    // The other held stream was never disturbed.
    expect(await Promise.race([held[1]?.ended, Promise.resolve('still open')])).toBe('still open');
  });
});
