import { X509Certificate, randomBytes } from 'node:crypto';
import { hostname as osHostname, platform as osPlatform, arch } from 'node:os';
import { createSecureContext } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { fromServiceError, loadPalyraProto, type PairServerMessage__Output, type PairingInfo__Output, type PairingServiceClient } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import { PAIRING_PROTOCOL, PairingInitiator, derivePinPrs, deriveQrPrs, generateNodeIdentityKeys, type NodeClaims } from '@palyra/shared/pairing';
import { newDeviceId } from '@palyra/shared/ids';
import { checkDaemonCertificate, createCsr, derToPem, fingerprint, generateTlsKeyPair, parseCertificate } from '@palyra/shared/x509';
import type { NodeIdentity } from '../identity/index.js';
import { AGENT_VERSION } from '../version.js';
import { CLIENT_CHANNEL_OPTIONS } from '../connection/clientOptions.js';
import { StreamReader } from './StreamReader.js';
import { verifyIssuedCertificate } from '../renewal/verifyIssuedCertificate.js';

/** The secret the operator handed over: a PIN, or the token of a QR code (which also pins the CA). */
export type JoinSecret =
  | { method: 'pin'; pin: string }
  | { method: 'qr'; codeId: string; token: Uint8Array; caFingerprint: string };

export interface JoinOptions {
  daemonAddress: string;
  secret: JoinSecret;
  name?: string;
  capabilities?: string[];
  signal?: AbortSignal;
  /** Called once the daemon proved the PIN: show the SAS to the user. */
  onConfirmed?: (info: { sas: string; requestId: string; repair: boolean; caFingerprint: string }) => void;
}

/**
 * The node's side of PIN and QR pairing (../shared/design/PAIRING.md). Trust comes from CPace:
 * once the daemon's confirmation MAC verifies, the daemon has proven it knows the PIN, bound
 * to the CA certificate it claimed and to the TLS certificate this connection saw.
 */
export async function joinDaemon(options: JoinOptions): Promise<NodeIdentity> {
  const { signal } = options;
  signal?.throwIfAborted();
  const deviceId = newDeviceId();
  const identityKeys = generateNodeIdentityKeys();
  const tlsKey = await generateTlsKeyPair({ signal });
  const csrDer = createCsr({ deviceId, privateKeyPem: tlsKey.privateKeyPem });
  const claims: NodeClaims = {
    deviceId,
    name: options.name ?? osHostname(),
    platform: `${osPlatform()}-${arch()}`,
    hostname: osHostname(),
    agentVersion: AGENT_VERSION,
    capabilities: options.capabilities ?? [],
    ed25519PublicKey: identityKeys.ed25519.publicKey,
    x25519PublicKey: identityKeys.x25519.publicKey,
    csrDer,
  };

  const peer = `the daemon at ${options.daemonAddress}`;
  const { secret } = options;
  const bootstrapCaDer = await fetchPairingCa(options.daemonAddress, peer, signal);
  if (secret.method === 'qr' && fingerprint(bootstrapCaDer) !== secret.caFingerprint) {
    throw new PalyraError(
      'PALYRA_E_SERVER_IDENTITY',
      `${peer} presented CA ${fingerprint(bootstrapCaDer)}, but the QR code pins CA ${secret.caFingerprint}: this is not the daemon that issued the code`,
    );
  }
  const { PairingService } = loadPalyraProto();
  // Verified against the CA the daemon claims; CPace below proves that claim (the CA
  // fingerprint is bound into it), so a substituted CA makes the exchange fail.
  const client = new PairingService(
    options.daemonAddress,
    grpc.credentials.createSsl(Buffer.from(derToPem(bootstrapCaDer, 'CERTIFICATE')), null, null, { checkServerIdentity: (_host, cert) => checkDaemonCertificate(cert) }),
    CLIENT_CHANNEL_OPTIONS,
  );
  const exchange = (codeId: string, role: ExchangeRole): Promise<ExchangeOutcome> =>
    runExchange({ client, peer, secret, codeId, role, claims, identityKeys, tlsKey, bootstrapCaDer, deviceId, options });
  try {
    if (secret.method === 'qr') return identityOf(await exchange(secret.codeId, 'final'));
    const first = await exchange('', 'discover');
    if (first.kind !== 'candidates') return identityOf(first);
    // PINs the operator replaced are tried first, each on its own stream: a wrong one spends
    // only its own attempts, and a node holding one hears "replaced" without having spent
    // one of the active PIN's five. Then the active PIN, named by id: if it was replaced in
    // the meantime, this node hears so too instead of guessing against the newer one.
    for (const id of first.superseded.slice(0, MAX_SUPERSEDED_TRIES)) {
      const outcome = await exchange(id, 'candidate');
      if (outcome.kind === 'identity') return outcome.identity;
    }
    return identityOf(await exchange(first.activeCodeId, 'final'));
  } finally {
    client.close();
  }
}

/**
 * - `discover`: a PIN hello naming no code; if the daemon lists superseded PINs, stop there
 *   (before the share: no attempt is spent) and report them.
 * - `candidate`: a superseded PIN; "not this code" (refused at hello, or a confirmation that
 *   failed) is an outcome, not an error.
 * - `final`: the code the node holds, as far as it knows; every failure is an error.
 */
type ExchangeRole = 'discover' | 'candidate' | 'final';

type ExchangeOutcome =
  | { kind: 'identity'; identity: NodeIdentity }
  | { kind: 'candidates'; activeCodeId: string; superseded: string[] }
  | { kind: 'not-this-code' };

/** At most this many superseded PINs are tried (the daemon lists at most 3). */
const MAX_SUPERSEDED_TRIES = 3;

/** What the daemon answers at hello about a code that cannot run an exchange. */
const CODE_REFUSALS: ReadonlySet<string> = new Set([
  'PALYRA_E_PAIRING_NO_CODE',
  'PALYRA_E_PAIRING_CODE_EXPIRED',
  'PALYRA_E_PAIRING_CODE_BURNED',
  'PALYRA_E_PAIRING_CODE_USED',
]);

function identityOf(outcome: ExchangeOutcome): NodeIdentity {
  if (outcome.kind === 'identity') return outcome.identity;
  throw new PalyraError('PALYRA_E_PAIRING_PROTOCOL', 'the pairing exchange ended without an outcome');
}

interface ExchangeParams {
  client: PairingServiceClient;
  peer: string;
  secret: JoinSecret;
  codeId: string;
  role: ExchangeRole;
  claims: NodeClaims;
  identityKeys: ReturnType<typeof generateNodeIdentityKeys>;
  tlsKey: { privateKeyPem: string; publicKeyPem: string };
  bootstrapCaDer: Buffer;
  deviceId: string;
  options: JoinOptions;
}

/** One Pair stream: one exchange against one code (see ExchangeRole). */
async function runExchange(params: ExchangeParams): Promise<ExchangeOutcome> {
  const { client, peer, secret, codeId, role, claims, identityKeys, tlsKey, bootstrapCaDer, deviceId, options } = params;
  const { signal } = options;
  signal?.throwIfAborted();
  const call = client.Pair();
  const onAbort = (): void => call.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  const reader = new StreamReader<PairServerMessage__Output>(call, peer);
  /** How far the exchange got: which failures mean "not this code" for a candidate. */
  let stage: 'hello' | 'exchange' | 'confirmed' = 'hello';
  try {
    const nodeNonce = randomBytes(32);
    call.write({
      hello: {
        protocol: PAIRING_PROTOCOL,
        method: secret.method === 'pin' ? 'PAIRING_METHOD_PIN' : 'PAIRING_METHOD_QR',
        nonce: nodeNonce,
        codeId,
      },
    });

    const serverHello = expect(await reader.next('its hello'), 'serverHello');
    stage = 'exchange';
    if (role === 'discover' && serverHello.supersededCodeIds.length > 0 && serverHello.codeId !== '') {
      return { kind: 'candidates', activeCodeId: serverHello.codeId, superseded: serverHello.supersededCodeIds };
    }
    const serverCertDer = call.getAuthContext()?.sslPeerCertificate?.raw;
    if (serverCertDer === undefined) {
      throw new PalyraError('PALYRA_E_SERVER_IDENTITY', `${peer} presented no TLS certificate`);
    }
    const caCertDer = serverHello.caCertDer;
    if (!caCertDer.equals(bootstrapCaDer)) {
      throw new PalyraError('PALYRA_E_SERVER_IDENTITY', `${peer} changed its CA certificate during pairing`);
    }
    const prs =
      secret.method === 'pin'
        ? await derivePinPrs(secret.pin, serverHello.pinSalt, { signal })
        : deriveQrPrs(secret.token, serverHello.pinSalt);
    const initiator = PairingInitiator.create({
      prs,
      method: secret.method,
      nodeNonce,
      daemonNonce: serverHello.nonce,
      caCertDer,
      serverCertFingerprint: Buffer.from(fingerprint(serverCertDer), 'hex'),
    });
    call.write({ share: { share: Buffer.from(initiator.share) } });

    initiator.receiveShare(expect(await reader.next('its CPace share'), 'share').share);
    const { mac, signature } = initiator.confirm(claims, identityKeys.ed25519.privateKey);
    call.write({
      confirm: {
        ...claims,
        ed25519PublicKey: Buffer.from(claims.ed25519PublicKey),
        x25519PublicKey: Buffer.from(claims.x25519PublicKey),
        csrDer: Buffer.from(claims.csrDer),
        mac: Buffer.from(mac),
        signature: Buffer.from(signature),
      },
    });

    const daemonConfirm = expect(await reader.next('its confirmation'), 'confirm');
    stage = 'confirmed';
    initiator.verifyDaemonConfirm(daemonConfirm.mac);
    // From here the CA is trusted: the daemon proved the PIN bound to it.
    const caCert = new X509Certificate(caCertDer);
    const caFingerprint = fingerprint(caCertDer);
    options.onConfirmed?.({ sas: initiator.sas, requestId: daemonConfirm.requestId, repair: daemonConfirm.repair, caFingerprint });

    for (;;) {
      const decision = expect(await reader.next('the operator’s decision'), 'decision');
      switch (decision.state) {
        case 'STATE_PENDING_APPROVAL':
          continue;
        case 'STATE_REJECTED':
          throw new PalyraError('PALYRA_E_PAIRING_REJECTED', 'an operator rejected this pairing request');
        case 'STATE_EXPIRED':
          throw new PalyraError('PALYRA_E_PAIRING_EXPIRED', 'no operator decided before the request expired: mint a new code and join again');
        case 'STATE_APPROVED': {
          const cert = verifyIssuedCertificate(decision.certDer, [caCert], deviceId, tlsKey.publicKeyPem);
          return {
            kind: 'identity',
            identity: {
              version: 1,
              deviceId,
              name: claims.name,
              daemonAddress: options.daemonAddress,
              caFingerprint,
              caCertPem: derToPem(caCertDer, 'CERTIFICATE'),
              certPem: derToPem(decision.certDer, 'CERTIFICATE'),
              certExpiresAt: cert.notAfter.toISOString(),
              tlsPrivateKeyPem: tlsKey.privateKeyPem,
              ed25519PrivateKey: Buffer.from(identityKeys.ed25519.privateKey).toString('base64'),
              ed25519PublicKey: Buffer.from(identityKeys.ed25519.publicKey).toString('base64'),
              x25519PrivateKey: Buffer.from(identityKeys.x25519.privateKey).toString('base64'),
              x25519PublicKey: Buffer.from(identityKeys.x25519.publicKey).toString('base64'),
              joinedAt: new Date().toISOString(),
            },
          };
        }
        default:
          throw new PalyraError('PALYRA_E_PAIRING_PROTOCOL', `${peer} sent an unknown decision`);
      }
    }
  } catch (error) {
    if (signal?.aborted === true) throw new PalyraError('PALYRA_E_CANCELLED', 'join cancelled', { cause: error });
    if (role === 'candidate' && error instanceof PalyraError) {
      // Refused at hello (that PIN is gone), or the daemon refused this node's confirmation
      // (this node's PIN is not that one): try the next code.
      if (stage === 'hello' && CODE_REFUSALS.has(error.code)) return { kind: 'not-this-code' };
      if (stage === 'exchange' && error.code === 'PALYRA_E_PAIRING_FAILED') return { kind: 'not-this-code' };
    }
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    call.cancel();
  }
}

/**
 * Fetches the CA certificate the daemon claims, over TLS that cannot be verified yet (the
 * node does not know the CA). Nothing is trusted from this call until CPace confirms it.
 */
async function fetchPairingCa(daemonAddress: string, peer: string, signal?: AbortSignal): Promise<Buffer> {
  const { PairingService } = loadPalyraProto();
  const client = new PairingService(
    daemonAddress,
    // Nothing is verified on this connection (the CA it returns is proven by CPace later), so
    // it trusts no roots at all: `createSsl(null, ...)` would load and parse the whole system
    // root store on every connection (~50 ms of CPU) only to ignore it.
    grpc.credentials.createFromSecureContext(createSecureContext({ ca: [] }), { rejectUnauthorized: false }),
    CLIENT_CHANNEL_OPTIONS,
  );
  try {
    const info = await new Promise<PairingInfo__Output>((resolve, reject) => {
      const call = client.GetPairingInfo({}, { deadline: Date.now() + 15_000 }, (error, value) => {
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(fromServiceError(error, peer));
        else if (value === undefined) reject(new PalyraError('PALYRA_E_PAIRING_PROTOCOL', `${peer} sent no pairing info`));
        else resolve(value);
      });
      const onAbort = (): void => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    if (info.protocol !== PAIRING_PROTOCOL) {
      throw new PalyraError('PALYRA_E_PAIRING_PROTOCOL', `${peer} speaks pairing protocol "${info.protocol.slice(0, 32)}", this node ${PAIRING_PROTOCOL}: upgrade the older side`);
    }
    parseCertificate(info.caCertDer);
    return info.caCertDer;
  } finally {
    client.close();
  }
}

type Body = NonNullable<PairServerMessage__Output['body']>;

function expect<K extends Exclude<Body, 'error'>>(message: PairServerMessage__Output, body: K): NonNullable<PairServerMessage__Output[K]> {
  const value = message[body];
  if (message.body !== body || value === null || value === undefined) {
    throw new PalyraError('PALYRA_E_PAIRING_PROTOCOL', `expected ${body} from the daemon, got ${message.body ?? 'an empty message'}`);
  }
  return value as NonNullable<PairServerMessage__Output[K]>;
}
