import { PalyraError } from '@palyra/shared/errors';
import { QUIC_METHOD_HEALTH_STREAM, encodeJsonFrame, errorFrame, parseHealthPing, type FrameReader, type HealthPing, type HealthPong, type HealthStreamResult } from '@palyra/shared/quic';
import type { QUICStream } from '@matrixai/quic';
import type { NodeRecord } from '../registry/types.js';
import { identifyNode } from './nodeCertificates.js';
import { noteStreamFailure } from './noteStreamFailure.js';
import type { FrameWriter, StreamContext } from './serveNodeStream.js';

/**
 * node.health_stream: one long-lived stream per connection carrying ping/pong cycles, so a
 * health ping costs one frame each way instead of opening and closing a stream (see the
 * protocol in @palyra/shared/quic). Each ping re-checks the connection's certificate: a node
 * revoked, removed or expired since the handshake gets this stream reset with
 * UNAUTHENTICATED (revocation also closes the whole connection; this covers an expiry while
 * connected). A frame that is not a ping throws FRAME_MALFORMED, and a node over its ping
 * budget (NodeHealth.admitPing) LIMIT_EXCEEDED (the caller resets the stream); a ping with
 * invalid params gets an error frame and the end of the stream.
 */
export async function serveHealthStream(node: NodeRecord, stream: QUICStream, frames: FrameReader, writer: FrameWriter, ctx: StreamContext): Promise<void> {
  const result: HealthStreamResult = { deviceId: node.deviceId, daemonVersion: ctx.daemonVersion };
  await writer.write(encodeJsonFrame({ result }));
  for (;;) {
    const message = await frames.nextJson();
    if (message === undefined) break;
    const identity = identifyNode(stream.meta.remoteCertsChain[0], ctx.lookup, ctx.now());
    if ('problem' in identity) throw identity.problem.error;
    // Over budget: the caller resets this stream with LIMIT_EXCEEDED.
    ctx.health.admitPing(node.deviceId, ctx.now());
    let ping: HealthPing;
    try {
      ping = parseHealthPing(message);
    } catch (error) {
      if (!(error instanceof PalyraError) || error.code !== 'PALYRA_E_INVALID_ARGUMENT') throw error;
      noteStreamFailure(ctx.peerLog, 'refused', error, { deviceId: node.deviceId, method: QUIC_METHOD_HEALTH_STREAM });
      await writer.write(encodeJsonFrame(errorFrame(error)));
      break;
    }
    const at = ctx.now();
    ctx.health.recordPing(node.deviceId, ping, 'quic', at);
    if (ping.lastRttMs !== undefined) ctx.health.recordRtt(node.deviceId, ping.lastRttMs, 'quic');
    const pong: HealthPong = { receivedAtMs: at.getTime() };
    await writer.write(encodeJsonFrame({ pong }));
  }
  await writer.close();
}
