import { PalyraError, isErrorCode, type PalyraErrorJson } from '../errors/index.js';

/**
 * The node <-> daemon QUIC protocol (ALPN `palyra-node/1`).
 *
 * The node opens one bidirectional stream per call. Every message is one frame: a 4-byte
 * big-endian length, then a UTF-8 JSON object (at most 64 KiB). The first frame is the request
 * `{ "method": ..., "params": {...} }`; the daemon answers `{ "result": {...} }` or
 * `{ "error": { "code", "message" } }`. Then, per method:
 *
 * - `node.health` (one-shot): the node sends one more frame, `{ "rttMs": n }` (its measured
 *   round trip from request to result), and ends the stream; the daemon records it for the
 *   node. Kept for one-shot checks and older agents; a stream per ping costs the daemon ~4x
 *   the CPU of a frame exchange on an open stream.
 * - `node.health_stream` (what agents use): the request has no params; the result is
 *   `{ "deviceId", "daemonVersion" }`. The stream then stays open and carries ping cycles:
 *   the node sends `{ "ping": { ...health params, "lastRttMs"?: n } }`, the daemon answers
 *   `{ "pong": { "receivedAtMs": n } }`, one pong per ping, in order. `lastRttMs` is the
 *   round trip the node measured for its previous exchange on this stream (the first ping
 *   reports the request -> result round trip). The daemon re-checks the connection's
 *   certificate (revoked, removed, expired) before answering each ping and resets the stream
 *   with UNAUTHENTICATED when it no longer passes. A frame that is not `{ "ping": {...} }`
 *   resets the stream (FRAME_MALFORMED); a ping with invalid params gets an error frame and
 *   the daemon ends its side. Either way the node opens a new stream. The node ends the
 *   stream by ending its side. One ping is answered at a time, so nothing queues up.
 * - `node.stream_events`: after the result, the daemon sends `{ "event": {...} }` frames until
 *   either side closes the stream.
 *
 * A framing violation (a length above the maximum, bytes that are not a JSON object, a
 * request without a method) resets that one stream with a code from QUIC_STREAM_CODE; the
 * connection and its other streams carry on.
 */
export const QUIC_ALPN = 'palyra-node/1';

export const QUIC_METHOD_HEALTH = 'node.health';
export const QUIC_METHOD_HEALTH_STREAM = 'node.health_stream';
export const QUIC_METHOD_STREAM_EVENTS = 'node.stream_events';
export const QUIC_METHODS = [QUIC_METHOD_HEALTH, QUIC_METHOD_HEALTH_STREAM, QUIC_METHOD_STREAM_EVENTS] as const;
export type QuicMethod = (typeof QUIC_METHODS)[number];

/** Application codes of RESET_STREAM / STOP_SENDING on one stream. */
export const QUIC_STREAM_CODE = {
  NONE: 0,
  FRAME_MALFORMED: 1,
  FRAME_TOO_LARGE: 2,
  UNAUTHENTICATED: 3,
  SHUTTING_DOWN: 4,
  INTERNAL: 5,
  /** The peer sent more than a limit allows (health pings too fast, an event subscriber too far behind). */
  LIMIT_EXCEEDED: 6,
} as const;

/** Application codes of CONNECTION_CLOSE; the reason bytes carry a one-line explanation. */
export const QUIC_CONNECTION_CODE = {
  CLOSED: 0,
  TOO_MANY_CONNECTIONS: 1,
  REVOKED: 2,
  SHUTTING_DOWN: 3,
  UNAUTHENTICATED: 4,
} as const;

/** TLS alerts as QUIC crypto error codes (0x100 + alert), the ones a verify callback returns. */
export const TLS_ALERT = {
  BAD_CERTIFICATE: 0x100 + 42,
  CERTIFICATE_REVOKED: 0x100 + 44,
  CERTIFICATE_EXPIRED: 0x100 + 45,
  CERTIFICATE_UNKNOWN: 0x100 + 46,
  UNKNOWN_CA: 0x100 + 48,
  ACCESS_DENIED: 0x100 + 49,
  INTERNAL_ERROR: 0x100 + 80,
  CERTIFICATE_REQUIRED: 0x100 + 116,
  NO_APPLICATION_PROTOCOL: 0x100 + 120,
} as const;

const TLS_ALERT_TEXT: Record<number, string> = {
  [TLS_ALERT.BAD_CERTIFICATE]: 'bad certificate',
  [TLS_ALERT.CERTIFICATE_REVOKED]: 'certificate revoked',
  [TLS_ALERT.CERTIFICATE_EXPIRED]: 'certificate expired',
  [TLS_ALERT.CERTIFICATE_UNKNOWN]: 'certificate unknown (not a registered node)',
  [TLS_ALERT.UNKNOWN_CA]: 'unknown certificate authority',
  [TLS_ALERT.ACCESS_DENIED]: 'access denied',
  [TLS_ALERT.INTERNAL_ERROR]: 'internal error',
  [TLS_ALERT.CERTIFICATE_REQUIRED]: 'client certificate required',
  [TLS_ALERT.NO_APPLICATION_PROTOCOL]: `no common application protocol (expected ${QUIC_ALPN})`,
};

/** Which stream code tells the peer about `error`. */
export function streamCodeFor(error: unknown): number {
  const code = error instanceof PalyraError ? error.code : undefined;
  switch (code) {
    case 'PALYRA_E_FRAME_MALFORMED':
      return QUIC_STREAM_CODE.FRAME_MALFORMED;
    case 'PALYRA_E_FRAME_TOO_LARGE':
      return QUIC_STREAM_CODE.FRAME_TOO_LARGE;
    case 'PALYRA_E_UNAUTHENTICATED':
    case 'PALYRA_E_PERMISSION_DENIED':
      return QUIC_STREAM_CODE.UNAUTHENTICATED;
    case 'PALYRA_E_DAEMON_UNREACHABLE':
    case 'PALYRA_E_CANCELLED':
      return QUIC_STREAM_CODE.SHUTTING_DOWN;
    case 'PALYRA_E_LIMIT_EXCEEDED':
      return QUIC_STREAM_CODE.LIMIT_EXCEEDED;
    case undefined:
      return QUIC_STREAM_CODE.NONE;
    default:
      return QUIC_STREAM_CODE.INTERNAL;
  }
}

/** The error a stream closed with `code` by the peer stands for. */
export function errorForStreamCode(code: number): PalyraError {
  const details = { streamCode: code };
  switch (code) {
    case QUIC_STREAM_CODE.FRAME_MALFORMED:
      return new PalyraError('PALYRA_E_FRAME_MALFORMED', 'the peer closed the stream: it received a malformed frame', { details });
    case QUIC_STREAM_CODE.FRAME_TOO_LARGE:
      return new PalyraError('PALYRA_E_FRAME_TOO_LARGE', 'the peer closed the stream: it received an oversized frame', { details });
    case QUIC_STREAM_CODE.UNAUTHENTICATED:
      return new PalyraError('PALYRA_E_PERMISSION_DENIED', 'the daemon closed the stream: this certificate is not (or no longer) a registered node\'s', { details });
    case QUIC_STREAM_CODE.SHUTTING_DOWN:
      return new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', 'the peer closed the stream: it is shutting down', { details });
    case QUIC_STREAM_CODE.LIMIT_EXCEEDED:
      return new PalyraError('PALYRA_E_LIMIT_EXCEEDED', 'the peer closed the stream: a limit was exceeded (health pings too fast, or events not read fast enough)', { details });
    default:
      return new PalyraError('PALYRA_E_QUIC_CLOSED', `the peer closed the stream (code ${code})`, { details });
  }
}

/** The error a connection closed by the peer stands for. */
export function errorForConnectionClose(close: { isApp: boolean; errorCode: number; reason?: Uint8Array }): PalyraError {
  const reason = close.reason === undefined ? '' : Buffer.from(close.reason).toString('utf8').slice(0, 512);
  const details = { isApp: close.isApp, errorCode: close.errorCode };
  if (close.isApp) {
    switch (close.errorCode) {
      case QUIC_CONNECTION_CODE.TOO_MANY_CONNECTIONS:
        return new PalyraError('PALYRA_E_QUIC_TOO_MANY_CONNECTIONS', reason || 'the daemon refused the QUIC connection: too many connections', { details });
      case QUIC_CONNECTION_CODE.REVOKED:
        return new PalyraError('PALYRA_E_PERMISSION_DENIED', reason || 'the daemon closed the QUIC connection: this node certificate was revoked', { details });
      case QUIC_CONNECTION_CODE.UNAUTHENTICATED:
        return new PalyraError('PALYRA_E_UNAUTHENTICATED', reason || 'the daemon does not accept this certificate over QUIC', { details });
      case QUIC_CONNECTION_CODE.SHUTTING_DOWN:
        return new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', reason || 'the daemon is shutting down', { details });
      default:
        return new PalyraError('PALYRA_E_QUIC_CLOSED', reason || `the peer closed the QUIC connection (code ${close.errorCode})`, { details });
    }
  }
  const alert = TLS_ALERT_TEXT[close.errorCode];
  if (alert !== undefined || (close.errorCode >= 0x100 && close.errorCode <= 0x1ff)) {
    return new PalyraError(
      'PALYRA_E_QUIC_HANDSHAKE',
      `the QUIC handshake was refused: ${alert ?? `TLS alert ${close.errorCode - 0x100}`}`,
      { details: { ...details, tlsAlert: close.errorCode - 0x100 } },
    );
  }
  return new PalyraError('PALYRA_E_QUIC_CLOSED', `the QUIC connection closed (transport code ${close.errorCode}${reason ? `: ${reason}` : ''})`, { details });
}

// ------------------------------------------------------------------ messages

export interface QuicRequest {
  method: string;
  params: Record<string, unknown>;
}

export interface HealthParams {
  /** The node's clock when it sent the request (ms since the epoch). */
  sentAtMs: number;
  agentVersion: string;
  /** Seconds since the node's OS booted. */
  uptimeSec: number;
  /** 1, 5 and 15 minute load averages. */
  loadAvg: [number, number, number];
  memory: { totalBytes: number; freeBytes: number; rssBytes: number };
}

export interface HealthResult {
  deviceId: string;
  daemonVersion: string;
  /** The daemon's clock when it answered. */
  receivedAtMs: number;
}

export interface HealthReport {
  rttMs: number;
}

/** The result of node.health_stream: the stream is open for pings. */
export interface HealthStreamResult {
  deviceId: string;
  daemonVersion: string;
}

/** One ping on a node.health_stream stream. */
export interface HealthPing extends HealthParams {
  /** Round trip of the node's previous exchange on this stream, ms. */
  lastRttMs?: number;
}

/** The daemon's answer to one ping. */
export interface HealthPong {
  /** The daemon's clock when it answered. */
  receivedAtMs: number;
}

export const DAEMON_EVENT_TYPES = [
  'dispatch.state',
  'node.online',
  'node.offline',
  'pairing.request',
  'cert.renewed',
  'cert.expiring',
  'cert.expired',
] as const;
export type DaemonEventType = (typeof DAEMON_EVENT_TYPES)[number];
/** The events a node may subscribe to: its own dispatches only. */
export const NODE_EVENT_TYPES: readonly DaemonEventType[] = ['dispatch.state'];

export interface StreamEventsParams {
  /** Event types wanted; omitted or empty: every type the subscriber may see. */
  types?: DaemonEventType[];
}

export interface StreamEventsResult {
  types: DaemonEventType[];
}

export type DaemonEvent =
  | {
      type: 'dispatch.state';
      at: string;
      deviceId: string;
      dispatchId: string;
      capability: string;
      /** queued, sent, running, or a final status (succeeded, failed, timed_out, ...). */
      state: string;
      error?: PalyraErrorJson | null;
    }
  | { type: 'node.online' | 'node.offline'; at: string; deviceId: string; name: string }
  | {
      type: 'pairing.request';
      at: string;
      requestId: string;
      deviceId: string;
      name: string;
      platform: string;
      /** pending_approval, approved, rejected, expired */
      state: string;
    }
  | {
      /** A node's certificate was replaced by a renewal. */
      type: 'cert.renewed';
      at: string;
      deviceId: string;
      name: string;
      certFingerprint: string;
      certExpiresAt: string;
      /** The certificate the renewal replaced. */
      previousCertFingerprint: string;
    }
  | {
      /**
       * A node's certificate entered a state that needs attention, once per certificate and
       * state: `expiring` (under a sixth of its lifetime left: its renewals fail), then
       * `cert.expired` with `in_grace` (it can still renew by its identity key until
       * `graceEndsAt`) and with `expired` (past the grace: the node must pair again).
       */
      type: 'cert.expiring' | 'cert.expired';
      at: string;
      deviceId: string;
      name: string;
      certFingerprint: string;
      certExpiresAt: string;
      state: 'expiring' | 'in_grace' | 'expired';
      graceEndsAt?: string;
    };

/** Parses the first frame of a stream; a wrong shape is a malformed frame. */
export function parseQuicRequest(message: Record<string, unknown>): QuicRequest {
  const { method, params } = message;
  if (typeof method !== 'string' || method.length === 0 || method.length > 64) {
    throw new PalyraError('PALYRA_E_FRAME_MALFORMED', 'the first frame of a stream must be a request with a "method" string');
  }
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
    throw new PalyraError('PALYRA_E_FRAME_MALFORMED', '"params" must be a JSON object');
  }
  return { method, params: (params ?? {}) as Record<string, unknown> };
}

function invalid(message: string): PalyraError {
  return new PalyraError('PALYRA_E_INVALID_ARGUMENT', message);
}

function finiteNumber(value: unknown, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(`${what} must be a number from ${min} to ${max}`);
  }
  return value;
}

/** Validates node.health params (bounded: they end up in `nodes list`). */
export function parseHealthParams(params: Record<string, unknown>): HealthParams {
  const { sentAtMs, agentVersion, uptimeSec, loadAvg, memory } = params;
  if (typeof agentVersion !== 'string' || agentVersion.length > 64) throw invalid('agentVersion must be a string of at most 64 characters');
  if (!Array.isArray(loadAvg) || loadAvg.length !== 3) throw invalid('loadAvg must be an array of 3 numbers');
  if (typeof memory !== 'object' || memory === null) throw invalid('memory must be an object');
  const m = memory as Record<string, unknown>;
  const max = 2 ** 53;
  return {
    sentAtMs: finiteNumber(sentAtMs, 'sentAtMs'),
    agentVersion,
    uptimeSec: finiteNumber(uptimeSec, 'uptimeSec'),
    loadAvg: [
      finiteNumber(loadAvg[0], 'loadAvg[0]', 0, 1e6),
      finiteNumber(loadAvg[1], 'loadAvg[1]', 0, 1e6),
      finiteNumber(loadAvg[2], 'loadAvg[2]', 0, 1e6),
    ],
    memory: {
      totalBytes: finiteNumber(m.totalBytes, 'memory.totalBytes', 0, max),
      freeBytes: finiteNumber(m.freeBytes, 'memory.freeBytes', 0, max),
      rssBytes: finiteNumber(m.rssBytes, 'memory.rssBytes', 0, max),
    },
  };
}

/** Parses a `{ "ping": {...} }` frame of node.health_stream; a frame without `ping` is malformed. */
export function parseHealthPing(message: Record<string, unknown>): HealthPing {
  const { ping } = message;
  if (typeof ping !== 'object' || ping === null || Array.isArray(ping)) {
    throw new PalyraError('PALYRA_E_FRAME_MALFORMED', 'a node.health_stream frame must be { "ping": {...} }');
  }
  const fields = ping as Record<string, unknown>;
  const params = parseHealthParams(fields);
  return fields.lastRttMs === undefined ? params : { ...params, lastRttMs: finiteNumber(fields.lastRttMs, 'lastRttMs', 0, 3_600_000) };
}

export function parseHealthReport(message: Record<string, unknown>): HealthReport {
  return { rttMs: finiteNumber(message.rttMs, 'rttMs', 0, 3_600_000) };
}

export function parseStreamEventsParams(params: Record<string, unknown>): StreamEventsParams {
  const { types } = params;
  if (types === undefined) return {};
  if (!Array.isArray(types) || types.length > DAEMON_EVENT_TYPES.length * 2) throw invalid('types must be an array of event types');
  for (const type of types) {
    if (!(DAEMON_EVENT_TYPES as readonly unknown[]).includes(type)) {
      throw invalid(`unknown event type "${String(type)}": use ${DAEMON_EVENT_TYPES.join(', ')}`);
    }
  }
  return { types: [...new Set(types as DaemonEventType[])] };
}

/** A response frame's error, as a PalyraError. */
export function responseError(message: Record<string, unknown>): PalyraError | undefined {
  const error = message.error;
  if (error === undefined) return undefined;
  if (typeof error === 'object' && error !== null && isErrorCode((error as { code?: unknown }).code)) {
    return PalyraError.fromJSON(error);
  }
  return new PalyraError('PALYRA_E_FRAME_MALFORMED', 'the peer sent an error frame without a known code');
}

export function errorFrame(error: PalyraError): { error: PalyraErrorJson } {
  return { error: { code: error.code, message: error.message } };
}

