import { connect as tlsConnect, type DetailedPeerCertificate } from 'node:tls';
import { PalyraError } from '@palyra/shared/errors';
import { DAEMON_TLS_NAME } from '@palyra/shared/x509/daemonIdentity';
import { derToPem, fingerprint } from '@palyra/shared/x509/pem';

export interface PinnedCaRequest {
  host: string;
  port: number;
  /** Lowercase hex SHA-256 of the CA's DER (the `ca=` of the daemon's ready line). */
  caFingerprint: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Finds the daemon's CA certificate by its pinned fingerprint, before anything is sent to the
 * daemon. An operator knows only the fingerprint; the admin endpoint sends its chain as
 * [server certificate, the CA that issued it]. This opens a TLS connection that trusts
 * nothing (no system roots, no verification: a chain is only read here, never believed),
 * reads the chain the server presented, and closes it without writing a byte of HTTP/2.
 * The CA whose fingerprint equals the pin is returned as PEM; the caller then connects for
 * real trusting that CA alone and verifies the server certificate properly. Any other chain
 * is PALYRA_E_SERVER_IDENTITY naming the pinned and the presented fingerprints.
 */
export function fetchPinnedCa({ host, port, caFingerprint, timeoutMs = 10_000, signal }: PinnedCaRequest): Promise<string> {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new PalyraError('PALYRA_E_CANCELLED', `cancelled while connecting to ${address}`));
      return;
    }
    const socket = tlsConnect({
      host,
      port,
      servername: DAEMON_TLS_NAME,
      // An empty list, not undefined: undefined would load Node's root store.
      ca: [],
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      ALPNProtocols: ['h2'],
    });
    let settled = false;
    const finish = (outcome: { ca: string } | { error: PalyraError }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if ('ca' in outcome) resolve(outcome.ca);
      else reject(outcome.error);
    };
    const onAbort = (): void => finish({ error: new PalyraError('PALYRA_E_CANCELLED', `cancelled while connecting to ${address}`) });
    const timer = setTimeout(
      () => finish({ error: new PalyraError('PALYRA_E_TIMEOUT', `the daemon at ${address} did not complete a TLS handshake within ${timeoutMs} ms`) }),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (error) =>
      finish({ error: new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', `cannot reach the daemon at ${address}: ${error.message}`, { cause: error }) }),
    );
    socket.once('close', () =>
      finish({ error: new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', `the server at ${address} closed the connection during the TLS handshake`) }),
    );
    socket.once('secureConnect', () => {
      const chain = presentedChain(socket.getPeerCertificate(true));
      const ca = chain.slice(1).find((cert) => fingerprint(cert.raw) === caFingerprint);
      if (ca !== undefined) {
        finish({ ca: derToPem(ca.raw, 'CERTIFICATE') });
        return;
      }
      const presented = chain.length > 1 ? fingerprint((chain[1] as DetailedPeerCertificate).raw) : undefined;
      finish({
        error: new PalyraError(
          'PALYRA_E_SERVER_IDENTITY',
          presented === undefined
            ? `the server at ${address} presented no CA certificate that issued its own, so it cannot be checked against the pinned CA ${caFingerprint}: is this a Palyra admin endpoint (palyrad start --admin-listen)? Nothing was sent.`
            : `the server at ${address} presented the CA ${presented}, not the pinned CA ${caFingerprint}: it is another daemon, or someone in between. Nothing was sent; check the fingerprint (palyrad status on the daemon's host).`,
          { details: { address, pinned: caFingerprint, presented: presented ?? null } },
        ),
      });
    });
  });
}

/**
 * The certificates the server sent, leaf first, following issuers until one repeats (a
 * self-signed CA is its own issuer). node:tls links a sent certificate only when it names the
 * one before it as its issuer: a stray CA appended to a foreign chain does not appear.
 */
function presentedChain(leaf: DetailedPeerCertificate): DetailedPeerCertificate[] {
  const chain: DetailedPeerCertificate[] = [];
  const seen = new Set<string>();
  for (let cert: DetailedPeerCertificate | undefined = leaf; cert?.raw !== undefined && chain.length < 8; cert = cert.issuerCertificate) {
    const print = fingerprint(cert.raw);
    if (seen.has(print)) break;
    seen.add(print);
    chain.push(cert);
  }
  return chain;
}
