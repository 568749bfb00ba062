/**
 * A node whose certificate expired (issue 12, also seen): TLS refuses the certificate, and
 * grpc-js then shows the handler no certificate at all. The error must say that the
 * certificate expired, and when, not that one is required.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createCsr } from '@palyra/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../daemon/src/ca/index.js';
import {
  CA_SETUP_TIMEOUT_MS,
  Scope,
  SessionProbe,
  TEST_TIMEOUT_MS,
  clientCredentials,
  expectPalyraStatus,
  nodeClient,
  pairNode,
  prepareCas,
  registerNode,
  startDaemon,
  type RunningDaemon,
} from './harness.js';

let scope: Scope;
beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

/** The daemon's own CA, loaded from the key material the test gave it (as a thief of the CA key could). */
async function daemonCa(d: RunningDaemon): Promise<CertificateAuthority> {
  const dir = join(await scope.tempDir(), 'ca');
  await mkdir(dir, { mode: 0o700 });
  const files: Array<[string, string]> = [
    ['ca.key', d.keys.caKeyPem],
    ['ca.crt', d.caCertPem],
    ['server.key', d.keys.serverKeyPem],
    ['server.crt', d.keys.serverCertPem],
  ];
  for (const [name, pem] of files) {
    await writeFile(join(dir, name), pem);
    await chmod(join(dir, name), name.endsWith('.key') ? 0o600 : 0o644);
  }
  return CertificateAuthority.loadOrCreate({ stateDir: dir });
}

describe('NodeService: an expired client certificate', { timeout: TEST_TIMEOUT_MS }, () => {
  it('is refused with a message that says it expired, and when (RegisterNode and Session)', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    // The node's own key and device id, certified by the daemon's CA for two seconds.
    const ca = await daemonCa(d);
    const issued = await ca.signNodeCsr({
      csrDer: createCsr({ deviceId: node.deviceId, privateKeyPem: node.tlsPrivateKeyPem }),
      deviceId: node.deviceId,
      validityMs: 2_000,
    });
    // Wait for the expiry itself (not a fixed sleep: until the clock passed notAfter).
    while (Date.now() <= issued.notAfter.getTime() + 1_000) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: node.tlsPrivateKeyPem, certPem: issued.certPem }));
    const expected = new RegExp(`expired at ${issued.notAfter.toISOString().replace(/[.]/g, '\\.')}`);
    const refused = expectPalyraStatus(await registerNode(client, node.deviceId), 'PALYRA_E_UNAUTHENTICATED', grpc.status.UNAUTHENTICATED);
    expect(refused.message).toMatch(expected);
    expect(refused.message).not.toMatch(/is required/);

    const session = new SessionProbe(scope, client, node.deviceId);
    const ended = expectPalyraStatus(await session.ended, 'PALYRA_E_UNAUTHENTICATED', grpc.status.UNAUTHENTICATED);
    expect(ended.message).toMatch(expected);

    // Without any certificate the message stays the one about a missing certificate.
    const anonymous = nodeClient(scope, d.address, clientCredentials(d.caCertPem));
    const missing = expectPalyraStatus(await registerNode(anonymous, node.deviceId), 'PALYRA_E_UNAUTHENTICATED', grpc.status.UNAUTHENTICATED);
    expect(missing.message).toMatch(/a client certificate issued by this daemon is required/);
  });
});
