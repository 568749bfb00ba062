import * as grpc from '@grpc/grpc-js';
import { loadPalyraProto, type NodeServiceClient, type RenewServerMessage__Output } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import { RENEWAL_NONCE_BYTES, signRenewal } from '@palyra/shared/renewal';
import { checkDaemonCertificate, createCsr, derToPem, generateTlsKeyPair } from '@palyra/shared/x509';
import type { NodeIdentity } from '../identity/index.js';
import { CLIENT_CHANNEL_OPTIONS } from '../connection/clientOptions.js';
import { checkPinnedFingerprint, createDaemonCredentials } from '../connection/daemonCredentials.js';
import { StreamReader } from '../pairing/StreamReader.js';
import { certFingerprint, type RenewedCredentials } from './IdentityKeeper.js';
import { testPause } from './testPause.js';
import { readTrustBundle, sameTrust, validateTrustBundle } from './trustBundle.js';
import { verifyIssuedCertificate } from './verifyIssuedCertificate.js';

/**
 * mtls: authenticated by the current certificate (the normal case). grace: the certificate
 * expired, so TLS carries no client certificate at all and the node proves itself by its
 * Ed25519 identity key alone (within the daemon's --renewal-grace).
 */
export type RenewalPath = 'mtls' | 'grace';

export interface RenewOptions {
  identity: NodeIdentity;
  path: RenewalPath;
  /** SHA-256 the daemon's server certificate must have (--pin-server-fingerprint). */
  pinnedFingerprint?: string;
  /** The node's clock (the issued certificate's validity is checked against it). */
  now: () => Date;
  /** The whole exchange must finish within this. Default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * One renewal: a new RSA TLS key and its CSR, the RenewCertificate stream (start, challenge,
 * proof signed by the identity key, issued), and the checks of what came back. Stores
 * nothing: the caller stores, then switches (IdentityKeeper).
 */
export async function renewCertificate(options: RenewOptions): Promise<RenewedCredentials> {
  const { identity, signal } = options;
  signal?.throwIfAborted();
  const tlsKey = await generateTlsKeyPair(signal === undefined ? {} : { signal });
  const csrDer = createCsr({ deviceId: identity.deviceId, privateKeyPem: tlsKey.privateKeyPem });
  const client = createRenewalClient(options);
  const peer = `the daemon at ${identity.daemonAddress}`;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const call = client.RenewCertificate({ deadline });
  const onAbort = (): void => call.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const reader = new StreamReader<RenewServerMessage__Output>(call, peer, 'PALYRA_E_DAEMON_UNREACHABLE');
    call.write({ start: { deviceId: identity.deviceId } });
    const challenge = (await reader.next('its renewal challenge')).challenge;
    if (challenge === null || challenge === undefined || challenge.nonce.length !== RENEWAL_NONCE_BYTES) {
      throw new PalyraError('PALYRA_E_SESSION_PROTOCOL', `${peer} sent no valid renewal challenge`);
    }
    await testPause('challenged');
    const currentCertFingerprint = certFingerprint(identity.certPem);
    const signature = signRenewal(
      { nonce: challenge.nonce, deviceId: identity.deviceId, csrDer, currentCertFingerprint },
      Buffer.from(identity.ed25519PrivateKey, 'base64'),
    );
    call.write({ proof: { csrDer, currentCertFingerprint, signature: Buffer.from(signature) } });
    const issued = (await reader.next('the renewed certificate')).issued;
    if (issued === null || issued === undefined) throw new PalyraError('PALYRA_E_SESSION_PROTOCOL', `${peer} sent no renewed certificate`);
    await testPause('issued');
    const now = options.now();
    // A bundle that came with the certificate (a CA rotation) is what the certificate must
    // chain to; else the CAs this node trusts already.
    const bundle = issued.caBundlePem === '' ? undefined : validateTrustBundle(issued.caBundlePem, now);
    const cas = bundle?.cas ?? readTrustBundle(identity.caCertPem).cas;
    const parsed = verifyIssuedCertificate(issued.certDer, cas, identity.deviceId, tlsKey.publicKeyPem, now);
    return {
      certPem: derToPem(issued.certDer, 'CERTIFICATE'),
      tlsPrivateKeyPem: tlsKey.privateKeyPem,
      certExpiresAt: parsed.notAfter.toISOString(),
      ...(bundle === undefined || sameTrust(bundle.pem, identity.caCertPem) ? {} : { caBundlePem: bundle.pem }),
    };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    call.cancel();
    client.close();
  }
}

function createRenewalClient(options: RenewOptions): NodeServiceClient {
  const { NodeService } = loadPalyraProto();
  const { identity, pinnedFingerprint } = options;
  const credentials =
    options.path === 'mtls'
      ? createDaemonCredentials(identity, pinnedFingerprint)
      : // Server-authenticated only: the daemon must still prove it is ours (CA bundle, daemon
        // marker, pin); this node presents no certificate, its identity key speaks for it.
        grpc.credentials.createSsl(Buffer.from(identity.caCertPem), null, null, {
          checkServerIdentity: (_host, cert) => checkDaemonCertificate(cert) ?? checkPinnedFingerprint(cert, pinnedFingerprint),
        });
  return new NodeService(identity.daemonAddress, credentials, CLIENT_CHANNEL_OPTIONS);
}
