import { X509Certificate, createHmac, timingSafeEqual, webcrypto } from 'node:crypto';
import { formatHostPort, type HostPort } from '@palyra/shared/config';
import { pemCertificates } from '@palyra/shared/x509';
import { PalyraError } from '@palyra/shared/errors';
import { DEFAULT_MAX_FRAME_BYTES, QUIC_ALPN, QUIC_CONNECTION_CODE, TLS_ALERT, errorForStreamCode, streamCodeFor, loadQuic, quicLogger, type QuicModule } from '@palyra/shared/quic';
import type { QUICConnection, QUICServer, QUICStream } from '@matrixai/quic';
import type { DaemonEvents } from '../events/DaemonEvents.js';
import type { NodeHealth } from '../health/NodeHealth.js';
import type { PeerIdentityLookup } from '../rpc/authenticatePeer.js';
import { createNodeVerifyCallback, identifyNode } from './nodeCertificates.js';
import { serveNodeStream } from './serveNodeStream.js';
import { RateLimitedLog, type Logger } from '@palyra/shared/logging';
import { logFailure } from '../logging/logFailure.js';
import { certificateExpiryTimer } from '../sessions/certificateExpiryTimer.js';

const DEFAULT_STOP_GRACE_MS = 2_000;

/** Whether `promise` settled within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

export const DEFAULT_QUIC_MAX_CONNECTIONS = 256;

export interface QuicNodeServerOptions {
  listen: HostPort;
  /** PEM of every CA whose node certificates are accepted (two during a CA rotation). */
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  lookup: PeerIdentityLookup;
  health: NodeHealth;
  events: DaemonEvents;
  daemonVersion: string;
  /** Connections held at once; the next one is closed at once with TOO_MANY_CONNECTIONS. Default 256. */
  maxConnections?: number;
  /** A handshake that has not completed by then is dropped. Default 5 s. */
  handshakeTimeoutMs?: number;
  /** A connection silent this long is closed (nodes send keepalives). Default 60 s. */
  idleTimeoutMs?: number;
  maxFrameBytes?: number;
  maxQueuedEvents?: number;
  /** How long stop() waits for connections to close before closing the socket under them. Default 2 s. */
  stopGraceMs?: number;
  /** Where failures nobody awaits (a connection's close, the stop, a stream the daemon ended) are logged. */
  logger?: Logger;
  /** The interval of the rate-limited stream failure lines (RateLimitedLog). Default 60 s. */
  peerLogIntervalMs?: number;
  /** The @matrixai/quic module (tests); default: imported on start. */
  quic?: QuicModule;
  now?: () => Date;
}

interface ConnectionInfo {
  deviceId: string;
  /** The certificate the connection authenticated with (the node's current or previous one). */
  fingerprint: string;
  /** Closes the connection when that certificate expires. */
  expiry: { cancel(): void };
}

/**
 * The daemon's QUIC endpoint (ALPN palyra-node/1): mTLS against the daemon's CA with the
 * checks of createNodeVerifyCallback, at most maxConnections authenticated connections, and
 * node.health / node.stream_events on streams the nodes open. Revoking a certificate closes
 * its connections (closeFingerprint). stop() force-closes everything.
 */
export class QuicNodeServer {
  private server: QUICServer | undefined;
  private quic: QuicModule | undefined;
  private boundPort = 0;
  private stopping = false;
  private readonly connections = new Map<QUICConnection, ConnectionInfo>();
  private readonly streams = new Set<Promise<void>>();
  private readonly openStreams = new Set<QUICStream>();
  private readonly maxConnections: number;
  private readonly now: () => Date;
  /** The CAs the verify callback accepts right now (updateTls replaces them). */
  private trustedCas: X509Certificate[];
  /** Stream failures: a node can cause them at will, so one line per code and a summary. */
  private readonly peerLog: RateLimitedLog | undefined;

  constructor(private readonly options: QuicNodeServerOptions) {
    this.maxConnections = options.maxConnections ?? DEFAULT_QUIC_MAX_CONNECTIONS;
    if (!Number.isInteger(this.maxConnections) || this.maxConnections < 1) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the QUIC connection cap must be a positive integer, got ${String(options.maxConnections)}`);
    }
    this.now = options.now ?? (() => new Date());
    this.trustedCas = parseBundle(options.caCertPem);
    this.peerLog =
      options.logger === undefined
        ? undefined
        : new RateLimitedLog({ logger: options.logger, ...(options.peerLogIntervalMs === undefined ? {} : { intervalMs: options.peerLogIntervalMs }) });
  }

  get address(): HostPort {
    return { host: this.options.listen.host, port: this.boundPort };
  }

  /** Authenticated connections held right now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  async start(): Promise<void> {
    if (this.server !== undefined) return;
    const quic = this.options.quic ?? (await loadQuic());
    this.quic = quic;
    const { listen } = this.options;
    const key = new Uint8Array(32);
    webcrypto.getRandomValues(key);
    const server = new quic.QUICServer({
      crypto: {
        key: key.buffer,
        ops: {
          sign: (k, data) => Promise.resolve(hmac(k, data)),
          verify: (k, data, sig) => {
            const expected = Buffer.from(hmac(k, data));
            const given = Buffer.from(sig);
            return Promise.resolve(expected.length === given.length && timingSafeEqual(expected, given));
          },
        },
      },
      config: {
        key: this.options.serverKeyPem,
        cert: this.options.serverCertPem,
        ca: this.options.caCertPem,
        verifyPeer: true,
        verifyCallback: createNodeVerifyCallback(() => this.trustedCas, this.options.lookup, this.now) as never,
        applicationProtos: [QUIC_ALPN],
        maxIdleTimeout: this.options.idleTimeoutMs ?? 60_000,
        initialMaxStreamsBidi: 64,
        initialMaxStreamsUni: 0,
      },
      minIdleTimeout: this.options.handshakeTimeoutMs ?? 5_000,
      reasonToCode: (_type, reason) => streamCodeFor(reason),
      codeToReason: (_type, code) => errorForStreamCode(code),
      logger: quicLogger('palyrad.quic'),
    });
    server.addEventListener(quic.events.EventQUICServerConnection.name, this.onConnection);
    server.addEventListener(quic.events.EventQUICConnectionStream.name, this.onStream);
    try {
      await server.start({ host: listen.host, port: listen.port });
    } catch (error) {
      throw new PalyraError(
        'PALYRA_E_LISTEN_FAILED',
        `cannot listen for QUIC on ${formatHostPort(listen)}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    this.boundPort = server.port;
    this.stopping = false;
    this.server = server;
  }

  /**
   * Trusts these CAs (PEM bundle) from now on (a CA rotation began or ended): new handshakes
   * are checked against them; connections already up keep going (a node certificate of a CA
   * no longer trusted is revoked, which closes its connections: see CaRotation.finish).
   */
  updateTrust(caCertPem: string): void {
    this.trustedCas = parseBundle(caCertPem);
    this.server?.updateConfig({ ca: caCertPem });
  }

  /**
   * Serves new handshakes with this key and certificate (the server certificate was renewed);
   * connections already up keep theirs: each copied the config when it was accepted.
   */
  updateCertificate({ certPem, keyPem }: { certPem: string; keyPem: string }): void {
    this.server?.updateConfig({ cert: certPem, key: keyPem });
  }

  /** Closes every connection of a revoked certificate, at once. */
  closeFingerprint(fingerprint: string, reason = 'this node certificate was revoked'): void {
    for (const [connection, info] of this.connections) {
      if (info.fingerprint === fingerprint.toLowerCase()) this.close(connection, QUIC_CONNECTION_CODE.REVOKED, reason);
    }
  }

  /** Closes every connection of a device. */
  closeDevice(deviceId: string, reason: string): void {
    for (const [connection, info] of this.connections) {
      if (info.deviceId === deviceId) this.close(connection, QUIC_CONNECTION_CODE.REVOKED, reason);
    }
  }

  /**
   * Closes every connection (force: streams cancelled) and the socket. A peer that does not
   * answer (a frozen node) would keep its connection closing for minutes, and the UDP socket,
   * and so the process, open with it: after `stopGraceMs` the streams are cancelled and the
   * socket is closed whatever the connections still wait for.
   */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    this.stopping = true;
    const stopped = server
      .stop({ isApp: true, errorCode: QUIC_CONNECTION_CODE.SHUTTING_DOWN, reason: Buffer.from('the daemon is shutting down'), force: true })
      .catch((error: unknown) => logFailure(this.options.logger, 'warn', 'QUIC server stop failed', error));
    const graceMs = this.options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    if (!(await settlesWithin(Promise.all([stopped, Promise.allSettled([...this.streams])]), graceMs))) {
      this.options.logger?.warn({ code: 'PALYRA_E_TIMEOUT', connections: this.connections.size, graceMs }, 'QUIC connections did not close in time: closing the socket under them');
      for (const stream of this.openStreams) stream.cancel(new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', 'the daemon is shutting down'));
      // QUICServer keeps its socket to itself; forcing it closed is the only way to end
      // connections whose peer never acknowledges the close.
      const socket = (server as unknown as { socket: { stop(options: { force: boolean }): Promise<void> } }).socket;
      await settlesWithin(
        socket.stop({ force: true }).catch((error: unknown) => logFailure(this.options.logger, 'warn', 'QUIC socket stop failed', error)),
        graceMs,
      );
    }
    for (const [connection, info] of this.connections) this.forget(connection, info);
    this.peerLog?.stop();
  }

  // EventTarget listeners: a throw would become an uncaught exception, so both catch everything.
  private readonly onConnection = (event: Event): void => {
    const connection = (event as Event & { detail: QUICConnection }).detail;
    try {
      this.accept(connection);
    } catch (error) {
      this.close(connection, QUIC_CONNECTION_CODE.UNAUTHENTICATED, `the daemon could not accept this connection: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  private accept(connection: QUICConnection): void {
    if (this.stopping) {
      this.close(connection, QUIC_CONNECTION_CODE.SHUTTING_DOWN, 'the daemon is shutting down');
      return;
    }
    if (this.connections.size >= this.maxConnections) {
      this.close(
        connection,
        QUIC_CONNECTION_CODE.TOO_MANY_CONNECTIONS,
        `the daemon holds its maximum of ${this.maxConnections} QUIC connections (--quic-max-connections): use gRPC or retry later`,
      );
      return;
    }
    // The verify callback accepted it, but a revocation may have landed since.
    const identity = identifyNode(connection.getRemoteCertsChain()[0], this.options.lookup, this.now());
    if ('problem' in identity) {
      const { alert, error } = identity.problem;
      this.close(connection, alert === TLS_ALERT.CERTIFICATE_REVOKED ? QUIC_CONNECTION_CODE.REVOKED : QUIC_CONNECTION_CODE.UNAUTHENTICATED, error.message);
      return;
    }
    const { deviceId } = identity.node;
    const { fingerprint, expiresAt } = identity.certificate;
    const info: ConnectionInfo = {
      deviceId,
      fingerprint,
      // Nothing re-authenticates a QUIC connection: without this it outlived its certificate.
      expiry: certificateExpiryTimer(
        new Date(expiresAt),
        () => {
          this.options.logger?.warn(
            { deviceId, certFingerprint: fingerprint, certExpiresAt: expiresAt, transport: 'quic' },
            'closed a QUIC connection: its node certificate expired (the node must renew it)',
          );
          this.close(
            connection,
            QUIC_CONNECTION_CODE.REVOKED,
            `this node certificate expired at ${expiresAt}: the node must renew it (palyra-node renews by itself, within the daemon's renewal grace), else pair it again`,
          );
        },
        { now: this.now },
      ),
    };
    this.connections.set(connection, info);
    this.options.health.quicOpened(info.deviceId);
    const closed = (): void => this.forget(connection, info);
    if (this.quic !== undefined) connection.addEventListener(this.quic.events.EventQUICConnectionStopped.name, closed, { once: true });
    void connection.closedP.then(closed, closed);
  }

  private readonly onStream = (event: Event): void => {
    const stream = (event as Event & { detail: QUICStream }).detail;
    // serveNodeStream never rejects, and resets the stream itself on any failure.
    const serving = serveNodeStream(stream, {
      lookup: this.options.lookup,
      health: this.options.health,
      events: this.options.events,
      daemonVersion: this.options.daemonVersion,
      maxFrameBytes: this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      maxQueuedEvents: this.options.maxQueuedEvents ?? 1024,
      now: this.now,
      ...(this.peerLog === undefined ? {} : { peerLog: this.peerLog }),
    });
    this.streams.add(serving);
    this.openStreams.add(stream);
    void serving.finally(() => {
      this.streams.delete(serving);
      this.openStreams.delete(stream);
    });
  };

  private forget(connection: QUICConnection, info: ConnectionInfo): void {
    if (this.connections.get(connection) !== info) return;
    info.expiry.cancel();
    this.connections.delete(connection);
    this.options.health.quicClosed(info.deviceId);
  }

  private close(connection: QUICConnection, errorCode: number, reason: string): void {
    const info = this.connections.get(connection);
    if (info !== undefined) this.forget(connection, info);
    connection
      .stop({ isApp: true, errorCode, reason: Buffer.from(reason.slice(0, 512)), force: true })
      .catch((error: unknown) => logFailure(this.options.logger, 'warn', 'QUIC connection close failed', error, { errorCode }));
  }
}

function hmac(key: ArrayBuffer, data: ArrayBuffer): ArrayBuffer {
  const digest = createHmac('sha256', toBuffer(key)).update(toBuffer(data)).digest();
  return digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.byteLength);
}

function toBuffer(value: ArrayBuffer | ArrayBufferView): Buffer {
  return ArrayBuffer.isView(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : Buffer.from(value);
}

function parseBundle(pem: string): X509Certificate[] {
  return pemCertificates(pem).map((der) => new X509Certificate(der));
}
