import { PalyraError } from '@palyra/shared/errors';
import { FrameReader, NODE_EVENT_TYPES, QUIC_METHOD_HEALTH, QUIC_METHOD_HEALTH_STREAM, QUIC_METHOD_STREAM_EVENTS, encodeJsonFrame, errorFrame, parseHealthParams, parseHealthReport, parseQuicRequest, parseStreamEventsParams, type DaemonEventType, type HealthResult, type QuicRequest } from '@palyra/shared/quic';
import type { QUICStream } from '@matrixai/quic';
import type { RateLimitedLog } from '@palyra/shared/logging';
import type { DaemonEvents } from '../events/DaemonEvents.js';
import type { NodeHealth } from '../health/NodeHealth.js';
import type { PeerIdentityLookup } from '../rpc/authenticatePeer.js';
import type { NodeRecord } from '../registry/types.js';
import { displayText } from '@palyra/shared/text';
import { identifyNode } from './nodeCertificates.js';
import { noteStreamFailure } from './noteStreamFailure.js';
import { serveHealthStream } from './serveHealthStream.js';

export interface StreamContext {
  lookup: PeerIdentityLookup;
  health: NodeHealth;
  events: DaemonEvents;
  daemonVersion: string;
  maxFrameBytes: number;
  /** Events waiting to be written to one slow subscriber before its stream is closed. */
  maxQueuedEvents: number;
  now: () => Date;
  /** Where streams the daemon ends are logged, bounded: a peer can cause these at will. */
  peerLog?: RateLimitedLog;
}

export type FrameWriter = WritableStreamDefaultWriter<Uint8Array>;

/** A request the daemon refuses with an error frame: the stream itself was well-formed. */
class Rejection extends Error {
  constructor(readonly error: PalyraError) {
    super(error.message);
  }
}

/**
 * Serves one stream a node opened: checks the connection's certificate again (revoked,
 * removed or expired since the handshake), reads the request frame and runs the method.
 * A framing violation or a refused identity resets this stream with its code (see
 * QUIC_STREAM_CODE); a bad request gets an error frame. Either way, the connection and its
 * other streams are left alone, and the failure is logged with its code (noteStreamFailure).
 * Never rejects.
 */
export async function serveNodeStream(stream: QUICStream, ctx: StreamContext): Promise<void> {
  const reader = stream.readable.getReader();
  const writer = stream.writable.getWriter();
  const frames = new FrameReader(reader, ctx.maxFrameBytes);
  const fields: Record<string, unknown> = {};
  try {
    const identity = identifyNode(stream.meta.remoteCertsChain[0], ctx.lookup, ctx.now());
    if ('problem' in identity) throw identity.problem.error;
    fields.deviceId = identity.node.deviceId;
    const request = parseQuicRequest(await frames.expectJson('a request'));
    fields.method = displayText(request.method.slice(0, 64));
    try {
      await serveMethod(identity.node, request, stream, frames, writer, ctx);
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      noteStreamFailure(ctx.peerLog, 'refused', error.error, fields);
      await writer.write(encodeJsonFrame(errorFrame(error.error)));
      await writer.close();
    }
  } catch (error) {
    noteStreamFailure(ctx.peerLog, 'reset', error, fields);
    reset(stream, error);
  }
}

function serveMethod(
  node: NodeRecord,
  request: QuicRequest,
  stream: QUICStream,
  frames: FrameReader,
  writer: FrameWriter,
  ctx: StreamContext,
): Promise<void> {
  switch (request.method) {
    case QUIC_METHOD_HEALTH:
      return serveHealth(node, request, frames, writer, ctx);
    case QUIC_METHOD_HEALTH_STREAM:
      return serveHealthStream(node, stream, frames, writer, ctx);
    case QUIC_METHOD_STREAM_EVENTS:
      return serveEvents(node, request, stream, frames, writer, ctx);
    default:
      throw new Rejection(
        new PalyraError('PALYRA_E_INVALID_ARGUMENT', `unknown method "${request.method}": use ${QUIC_METHOD_HEALTH}, ${QUIC_METHOD_HEALTH_STREAM} or ${QUIC_METHOD_STREAM_EVENTS}`),
      );
  }
}

/** node.health: request -> result -> the node's round-trip report -> end. */
async function serveHealth(node: NodeRecord, request: QuicRequest, frames: FrameReader, writer: FrameWriter, ctx: StreamContext): Promise<void> {
  ctx.health.admitPing(node.deviceId, ctx.now());
  const params = rejecting(() => parseHealthParams(request.params));
  ctx.health.recordPing(node.deviceId, params, 'quic', ctx.now());
  const result: HealthResult = { deviceId: node.deviceId, daemonVersion: ctx.daemonVersion, receivedAtMs: Date.now() };
  await writer.write(encodeJsonFrame({ result }));
  const report = await frames.nextJson();
  if (report !== undefined) {
    ctx.health.recordRtt(node.deviceId, rejecting(() => parseHealthReport(report)).rttMs, 'quic');
    // Anything after the report is ignored; wait for the node's end of the stream.
    while ((await frames.next()) !== undefined);
  }
  await writer.close();
}

/**
 * node.stream_events: result, then event frames until the node ends its side. A node sees
 * only its own dispatch events. A subscriber that falls maxQueuedEvents behind is cut off
 * (PALYRA_E_LIMIT_EXCEEDED) rather than buffered without bound.
 */
async function serveEvents(
  node: NodeRecord,
  request: QuicRequest,
  stream: QUICStream,
  frames: FrameReader,
  writer: FrameWriter,
  ctx: StreamContext,
): Promise<void> {
  const params = rejecting(() => parseStreamEventsParams(request.params));
  const wanted: DaemonEventType[] = params.types === undefined || params.types.length === 0 ? [...NODE_EVENT_TYPES] : params.types;
  const denied = wanted.filter((type) => !NODE_EVENT_TYPES.includes(type));
  if (denied.length > 0) {
    throw new Rejection(
      new PalyraError('PALYRA_E_PERMISSION_DENIED', `a node may only follow its own ${NODE_EVENT_TYPES.join(', ')} events, not ${denied.join(', ')}`),
    );
  }
  await writer.write(encodeJsonFrame({ result: { types: wanted } }));
  let queued = 0;
  let writes = Promise.resolve();
  const unsubscribe = ctx.events.subscribe({ types: new Set(wanted), deviceId: node.deviceId }, (event) => {
    if (queued >= ctx.maxQueuedEvents) {
      unsubscribe();
      const error = new PalyraError('PALYRA_E_LIMIT_EXCEEDED', `the subscriber fell ${queued} events behind`);
      noteStreamFailure(ctx.peerLog, 'reset', error, { deviceId: node.deviceId, method: QUIC_METHOD_STREAM_EVENTS });
      reset(stream, error);
      return;
    }
    queued += 1;
    writes = writes
      .then(() => writer.write(encodeJsonFrame({ event })))
      .then(
        () => {
          queued -= 1;
        },
        () => undefined,
      );
  });
  try {
    // Frames from the node after its request mean nothing here; its end of the stream ends the subscription.
    while ((await frames.next()) !== undefined);
  } finally {
    unsubscribe();
  }
  await writes;
  await writer.close();
}

function rejecting<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw error instanceof PalyraError ? new Rejection(error) : error;
  }
}

/** Resets both directions of the stream; the reason becomes the stream code (reasonToCode). */
function reset(stream: QUICStream, reason: unknown): void {
  try {
    stream.cancel(reason);
  } catch {
    // Already closed: nothing to tell the peer.
  }
}
