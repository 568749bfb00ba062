/**
 * ControlClient.connectRemote for programs, against a real in-process daemon's remote admin
 * endpoint with real API tokens: unary calls and a grpc-js stream (the approvals snapshot)
 * carry the token; the daemon's refusals reach the caller with their codes and details
 * (FORBIDDEN naming the permission, RATE_LIMITED with retryAfterMs, UNAUTHENTICATED once the
 * token is revoked, on the next call and on the open stream).
 */
import { fingerprint, pemToDer } from '@palyra/shared';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import { expectCode } from '../helpers/errorAssertions.js';
import { CA_SETUP_TIMEOUT_MS, Scope, TEST_TIMEOUT_MS, prepareCas, startDaemon, within, type RunningDaemon } from './harness.js';

let scope: Scope;
afterEach(async () => {
  await scope?.dispose();
});
beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);

async function remoteDaemon(): Promise<RunningDaemon & { adminTls: string; caFingerprint: string }> {
  const d = await startDaemon(scope, { daemon: { adminListen: { host: '127.0.0.1', port: 0 } } });
  const adminTls = (await d.control.status()).adminTlsAddress;
  return { ...d, adminTls, caFingerprint: fingerprint(pemToDer(d.caCertPem, 'CERTIFICATE')) };
}

async function connect(d: { adminTls: string; caFingerprint: string }, token: string): Promise<ControlClient> {
  const client = await ControlClient.connectRemote({ address: d.adminTls, caFingerprint: d.caFingerprint, token });
  scope.defer(() => client.close());
  return client;
}

describe('ControlClient.connectRemote against a real daemon', { timeout: TEST_TIMEOUT_MS }, () => {
  it('unary calls and streams carry the token; FORBIDDEN names the permission', async () => {
    scope = new Scope();
    const d = await remoteDaemon();
    const created = await d.control.createToken({ name: 'prog', role: 'viewer', ttlSeconds: 600 });
    const client = await connect(d, created.token);
    expect(client.caCertPem).toBe(d.caCertPem.replace(/\r\n/g, '\n'));
    expect(await client.whoAmI()).toMatchObject({ kind: 'token', tokenId: created.info?.id, tokenName: 'prog', role: 'viewer' });
    expect((await client.status()).caFingerprint).toBe(d.caFingerprint);
    expect(await client.listNodes()).toEqual([]);

    const watch = client.watchApprovals()[Symbol.asyncIterator]();
    const first = await within(watch.next(), 20_000, 'the approvals snapshot over TLS');
    expect(first.value).toMatchObject({ type: 'snapshot' });
    await watch.return?.(undefined);

    const refused = await expectCode(client.createPairingCode({ method: 'pin' }), 'PALYRA_E_FORBIDDEN');
    expect(refused.details?.permission).toBe('pairing.create');
  });

  it('over the token rate: PALYRA_E_RATE_LIMITED with retryAfterMs; a revoked token: UNAUTHENTICATED on the next call and on its open stream', async () => {
    scope = new Scope();
    const d = await remoteDaemon();
    const slow = await d.control.createToken({ name: 'slow', role: 'viewer', ttlSeconds: 600, ratePerSecond: 0.1, burst: 1 });
    const slowClient = await connect(d, slow.token);
    await slowClient.status();
    const limited = await expectCode(slowClient.status(), 'PALYRA_E_RATE_LIMITED');
    expect(limited.details?.retryAfterMs).toBeGreaterThan(0);

    const doomed = await d.control.createToken({ name: 'doomed', role: 'viewer', ttlSeconds: 600 });
    const client = await connect(d, doomed.token);
    const watch = client.watchApprovals()[Symbol.asyncIterator]();
    expect((await within(watch.next(), 20_000, 'the approvals snapshot')).value).toMatchObject({ type: 'snapshot' });
    await d.control.revokeToken(doomed.info?.id ?? '');
    await expectCode(
      within(
        (async () => {
          while (!(await watch.next()).done);
          throw new Error('the stream ended quietly');
        })(),
        20_000,
        'the stream to end',
      ),
      'PALYRA_E_UNAUTHENTICATED',
    );
    await expectCode(client.status(), 'PALYRA_E_UNAUTHENTICATED');
  });
});
