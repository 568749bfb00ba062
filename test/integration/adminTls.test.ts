/**
 * The remote admin endpoint's TLS, on a real in-process daemon: the chain it sends is [server
 * certificate, the CA that issued it] (a client knowing only the CA fingerprint can find and pin
 * the CA), it keeps NODE_TLS_POLICY (no TLS 1.2 suite without ECDHE), and it follows the
 * renewal of the server certificate without a restart (DaemonOptions.serverCertValidityMs).
 */
import { parseHostPort } from '@palyra/shared/config';
import { fingerprint } from '@palyra/shared';
import * as tls from 'node:tls';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { remoteAdminClient } from '../helpers/adminRemote.js';
import { CA_SETUP_TIMEOUT_MS, Scope, TEST_TIMEOUT_MS, prepareCas, startDaemon, within, type RunningDaemon } from './harness.js';

let scope: Scope;

beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

function adminAddress(d: RunningDaemon): string {
  const address = d.daemon.info.adminTlsAddress;
  if (address === undefined) throw new Error('the admin endpoint is off');
  return address;
}

/** The certificates the endpoint sends (no trust store: exactly what the server put in its chain). */
function servedChain(d: RunningDaemon, options: tls.ConnectionOptions = {}): Promise<string[]> {
  const { host, port } = parseHostPort(adminAddress(d));
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['h2'], ...options }, () => {
      const chain: string[] = [];
      let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
      while (cert !== undefined && cert.raw !== undefined && !chain.includes(fingerprint(cert.raw))) {
        chain.push(fingerprint(cert.raw));
        cert = cert.issuerCertificate;
      }
      socket.destroy();
      resolve(chain);
    });
    socket.on('error', reject);
  });
}

describe('the remote admin endpoint over TLS', () => {
  it(
    'sends [server certificate, issuing CA], keeps the TLS policy, and follows the server certificate renewal',
    async () => {
      const d = await startDaemon(scope, { daemon: { adminListen: { host: '127.0.0.1', port: 0 }, serverCertValidityMs: 20_000, serverCertCheckIntervalMs: 200 } });
      const before = await d.control.status();
      expect(before.adminTlsAddress).toBe(adminAddress(d));
      expect(await servedChain(d)).toEqual([before.serverCertFingerprint, before.caFingerprint]);

      // NODE_TLS_POLICY: TLS 1.2 without ECDHE is refused.
      await expect(servedChain(d, { maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256' })).rejects.toThrow();

      const created = await d.control.createToken({ name: 'tls', role: 'viewer', ttlSeconds: 600 });
      const client = await remoteAdminClient(adminAddress(d), d.stateDir, created.token);
      scope.defer(async () => client.close());
      expect(await client.unary('WhoAmI')).toMatchObject({ tokenId: created.info?.id });

      const renewed = await within(
        (async () => {
          for (;;) {
            const status = await d.control.status();
            if (status.serverCertFingerprint !== before.serverCertFingerprint) return status;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        })(),
        30_000,
        'the server certificate renewal',
      );
      expect(await servedChain(d)).toEqual([renewed.serverCertFingerprint, renewed.caFingerprint]);
      // A new client verifies the renewed certificate against the CA.
      const after = await remoteAdminClient(adminAddress(d), d.stateDir, created.token);
      scope.defer(async () => after.close());
      expect(await after.unary('WhoAmI')).toMatchObject({ tokenId: created.info?.id });
    },
    TEST_TIMEOUT_MS,
  );
});
