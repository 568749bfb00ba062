import type { AdminServiceClient } from '@palyra/proto';
import { MAX_ADMIN_MESSAGE_BYTES, UnaryHttp2Client } from '@palyra/proto/client';
import { formatHostPort, parseHostPort } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';
import { DAEMON_TLS_NAME, checkDaemonCertificate } from '@palyra/shared/x509/daemonIdentity';
import { parseToken } from '@palyra/shared/tokens';
import { fingerprint, parseSha256Fingerprint, pemToDer } from '@palyra/shared/x509/pem';
import { fetchPinnedCa } from './fetchPinnedCa.js';

export interface RemoteOptions {
  /** HOST:PORT of the daemon's admin endpoint (`admin-tls=` of its ready line). */
  address: string;
  /** SHA-256 of the daemon's CA certificate (`ca=` of its ready line); any case, colons allowed. */
  caFingerprint: string;
  /** The API token (`pyt_...`), sent as `authorization: Bearer` on every call. */
  token: string;
  /**
   * The CA certificate saved by `palyrad auth login`, when it has one: it must match the pin,
   * and saves the extra handshake that finds the CA by its fingerprint.
   */
  caCertPem?: string;
  signal?: AbortSignal;
  /** Bound on reaching and verifying the daemon (default 10 s). */
  timeoutMs?: number;
}

/** What a ControlClient talks through: the unary client, the streaming client's factory, and where. */
export interface AdminTransport {
  readonly unary: UnaryHttp2Client;
  readonly target: string;
  /** Remote: the CA the daemon's certificate was verified against (PEM), for a profile to keep. */
  readonly caCertPem?: string;
  openStreaming(): Promise<AdminServiceClient>;
}

/**
 * Connects to a daemon's remote admin endpoint with a pinned CA: the CA is found by its
 * fingerprint (or taken from the profile, after checking it matches), the server certificate
 * must chain to it and be the daemon's (checkDaemonCertificate), and only then is any request
 * (and so the token) sent. PALYRA_E_SERVER_IDENTITY otherwise, naming both fingerprints.
 */
export async function connectRemoteTransport(options: RemoteOptions): Promise<AdminTransport> {
  const { signal, timeoutMs = 10_000 } = options;
  const { host, port } = parseHostPort(options.address, 'the daemon address');
  const address = formatHostPort({ host, port });
  const pinned = parseSha256Fingerprint(options.caFingerprint, 'the CA fingerprint');
  const token = checkToken(options.token);
  const authorization = `Bearer ${token}`;
  const find = (): Promise<string> => fetchPinnedCa({ host, port, caFingerprint: pinned, timeoutMs, ...(signal ? { signal } : {}) });
  let caPem = options.caCertPem;
  if (caPem !== undefined && fingerprint(pemToDer(caPem, 'CERTIFICATE')) !== pinned) {
    throw new PalyraError('PALYRA_E_SERVER_IDENTITY', `the saved CA certificate is not the pinned CA ${pinned}: the profile was edited; run palyrad auth login again`);
  }
  caPem ??= await find();
  const connect = (ca: string): Promise<UnaryHttp2Client> =>
    UnaryHttp2Client.connectTls(
      { host, port, caPem: ca, servername: DAEMON_TLS_NAME, checkServerIdentity: (_host, cert) => checkDaemonCertificate(cert) },
      { timeoutMs, headers: { authorization }, ...(signal ? { signal } : {}) },
    );
  let unary: UnaryHttp2Client;
  try {
    unary = await connect(caPem);
  } catch (error) {
    // A saved CA the server no longer chains to (another daemon at that address, a rotated
    // CA): find out what it presents, for a message naming both fingerprints.
    if (options.caCertPem === undefined || !(error instanceof PalyraError) || error.code !== 'PALYRA_E_SERVER_IDENTITY') throw error;
    // (find() rejects with the message naming both; should it find the CA after all, the
    // server changed in between and the verification error stands.)
    await find();
    throw error;
  }
  const ca = caPem;
  return {
    unary,
    target: `the daemon at ${address}`,
    caCertPem: ca,
    openStreaming: async () => {
      const [grpc, { loadPalyraProto }] = await Promise.all([import('@grpc/grpc-js'), import('@palyra/proto')]);
      const channel = grpc.credentials.createSsl(Buffer.from(ca), null, null, { checkServerIdentity: (_host, cert) => checkDaemonCertificate(cert) });
      const perCall = grpc.credentials.createFromMetadataGenerator((_params, callback) => {
        const metadata = new grpc.Metadata();
        metadata.set('authorization', authorization);
        callback(null, metadata);
      });
      return new (loadPalyraProto().AdminService)(address, grpc.credentials.combineChannelCredentials(channel, perCall), {
        // See DAEMON_TLS_NAME: the identity check is the CA and the daemon marker.
        'grpc.ssl_target_name_override': DAEMON_TLS_NAME,
        'grpc.max_receive_message_length': MAX_ADMIN_MESSAGE_BYTES,
        // Across a network a path can die without a FIN or RST: an `events` or `approvals`
        // stream would wait forever. Pings while a call runs notice it within ~40 s (the
        // grpc-js server enforces no minimum ping interval).
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 10_000,
      });
    },
  };
}

/**
 * The token goes into a header: checked here against the token format (parseToken, the one
 * implementation the daemon uses too), so a mistyped or pasted-wrong value fails before any
 * connection, and never in a message (parseToken's messages do not repeat the text).
 */
function checkToken(token: string): string {
  parseToken(token);
  return token.trim();
}
