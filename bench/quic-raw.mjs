// The raw QUIC baseline for bench/quic: a bare @matrixai/quic server and client with the TLS
// settings of the daemon's node endpoint (mutual TLS, ALPN palyra-node/1, verifyPeer with a
// verify callback that checks issuer, signature and validity itself with node:crypto, the
// daemon's stream limits, idle timeout and the node's keepalive), and no Palyra code at all:
// a 4-byte big-endian length prefix written and parsed inline, no JSON, no identity lookup.
//
// One ping has the shape of the product's node.health exchange, on a new bidi stream per
// ping as the node does: the client writes a request frame, the server echoes it, the client
// writes a report frame and ends its side, the server reads to the end and ends its side,
// the client reads to the end. For comparison only (the product does not do it), pingLong
// echoes request frames on one long-lived stream: the cost of a stream per ping.
import { X509Certificate, createHmac, timingSafeEqual, webcrypto } from 'node:crypto';
import { performance } from 'node:perf_hooks';

export const ALPN = 'palyra-node/1';
const TLS_ALERT_BAD_CERTIFICATE = 42;

/** A verify callback doing what the daemon's and the node's do of the chain (no registry): never throws. */
export function rawVerifyCallback(caPem) {
  const ca = new X509Certificate(caPem);
  return (certs) => {
    try {
      const leaf = new X509Certificate(certs[0]);
      const now = Date.now();
      const ok = leaf.checkIssued(ca) && leaf.verify(ca.publicKey) && Date.parse(leaf.validFrom) <= now && Date.parse(leaf.validTo) > now && !leaf.ca;
      return Promise.resolve(ok ? undefined : TLS_ALERT_BAD_CERTIFICATE);
    } catch {
      return Promise.resolve(TLS_ALERT_BAD_CERTIFICATE);
    }
  };
}

const quietLogger = () => {
  const noop = () => undefined;
  return { getChild: quietLogger, debug: noop, info: noop, warn: noop, error: noop };
};

export function encodeFrame(payload) {
  const frame = Buffer.allocUnsafe(4 + payload.byteLength);
  frame.writeUInt32BE(payload.byteLength, 0);
  frame.set(payload, 4);
  return frame;
}

/** Minimal frame reader: next() resolves with a payload, or undefined at the stream's end. */
export function frameReader(reader) {
  let buffered = Buffer.alloc(0);
  let ended = false;
  return async function next() {
    for (;;) {
      if (buffered.byteLength >= 4) {
        const length = buffered.readUInt32BE(0);
        if (buffered.byteLength >= 4 + length) {
          const payload = buffered.subarray(4, 4 + length);
          buffered = buffered.subarray(4 + length);
          return payload;
        }
      }
      if (ended) {
        if (buffered.byteLength > 0) throw new Error('raw quic: stream ended inside a frame');
        return undefined;
      }
      const { done, value } = await reader.read();
      if (done) ended = true;
      else buffered = buffered.byteLength === 0 ? Buffer.from(value) : Buffer.concat([buffered, value]);
    }
  };
}

/** Starts the echo server (the daemon's server config); resolves with { port, stop }. */
export async function startRawServer({ caPem, certPem, keyPem }) {
  const quic = await import('@matrixai/quic');
  const key = new Uint8Array(32);
  webcrypto.getRandomValues(key);
  const hmac = (k, data) => createHmac('sha256', Buffer.from(k)).update(Buffer.from(data)).digest();
  const server = new quic.QUICServer({
    crypto: {
      key: key.buffer,
      ops: {
        sign: (k, data) => {
          const d = hmac(k, data);
          return Promise.resolve(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
        },
        verify: (k, data, sig) => {
          const expected = hmac(k, data);
          const given = Buffer.from(sig);
          return Promise.resolve(expected.length === given.length && timingSafeEqual(expected, given));
        },
      },
    },
    config: {
      key: keyPem,
      cert: certPem,
      ca: caPem,
      verifyPeer: true,
      verifyCallback: rawVerifyCallback(caPem),
      applicationProtos: [ALPN],
      maxIdleTimeout: 60_000,
      initialMaxStreamsBidi: 64,
      initialMaxStreamsUni: 0,
    },
    minIdleTimeout: 5_000,
    logger: quietLogger(),
  });
  server.addEventListener(quic.events.EventQUICConnectionStream.name, (event) => {
    void serveEcho(event.detail);
  });
  await server.start({ host: '127.0.0.1', port: 0 });
  return { port: server.port, stop: () => server.stop({ force: true }) };
}

/** First payload byte of a report frame: the server does not answer it. */
const REPORT_MARK = 0x72;

/** Echoes every frame but reports until the client ends its side, then ends its own. */
async function serveEcho(stream) {
  const next = frameReader(stream.readable.getReader());
  const writer = stream.writable.getWriter();
  try {
    for (let frame = await next(); frame !== undefined; frame = await next()) {
      if (frame[0] !== REPORT_MARK) await writer.write(encodeFrame(frame));
    }
    await writer.close();
  } catch (error) {
    try {
      stream.cancel(error);
    } catch {
      /* already closed */
    }
  }
}

/**
 * Connects the node's way (its client config) and returns ping(), which runs one exchange
 * and resolves with { totalMs, firstReplyMs } (firstReplyMs: request written to echo read,
 * what QuicDaemonClient.health reports as rttMs), and close().
 */
export async function connectRawClient({ port, caPem, certPem, keyPem, requestBytes, reportBytes }) {
  const quic = await import('@matrixai/quic');
  const client = await quic.QUICClient.createQUICClient(
    {
      host: '127.0.0.1',
      port,
      localHost: '0.0.0.0',
      crypto: {
        ops: {
          randomBytes: (data) => {
            webcrypto.getRandomValues(new Uint8Array(data));
            return Promise.resolve();
          },
        },
      },
      config: {
        ca: caPem,
        cert: certPem,
        key: keyPem,
        verifyPeer: true,
        verifyCallback: rawVerifyCallback(caPem),
        applicationProtos: [ALPN],
        maxIdleTimeout: 60_000,
        keepAliveIntervalTime: 15_000,
        initialMaxStreamsBidi: 0,
        initialMaxStreamsUni: 0,
      },
      logger: quietLogger(),
    },
    { timer: 5_000 },
  );
  const request = encodeFrame(Buffer.alloc(requestBytes, 0x61));
  const report = encodeFrame(Buffer.alloc(reportBytes, REPORT_MARK));
  const ping = async () => {
    const stream = client.connection.newStream('bidi');
    const writer = stream.writable.getWriter();
    const next = frameReader(stream.readable.getReader());
    const started = performance.now();
    try {
      await writer.write(request);
      if ((await next()) === undefined) throw new Error('raw quic: no echo');
      const firstReplyMs = performance.now() - started;
      await writer.write(report);
      await writer.close();
      while ((await next()) !== undefined);
      return { totalMs: performance.now() - started, firstReplyMs };
    } catch (error) {
      // As QuicDaemonClient does: a failed exchange resets its stream.
      try {
        stream.cancel(error);
      } catch {
        /* already closed */
      }
      throw error;
    }
  };
  // One long stream: echoes come back in order, so each resolves the oldest waiter.
  const long = client.connection.newStream('bidi');
  const longWriter = long.writable.getWriter();
  const longNext = frameReader(long.readable.getReader());
  const waiters = [];
  void (async () => {
    try {
      while ((await longNext()) !== undefined) waiters.shift()?.resolve();
    } catch (error) {
      for (const w of waiters.splice(0)) w.reject(error);
    }
  })();
  const pingLong = () =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      waiters.push({ resolve: () => resolve({ totalMs: performance.now() - started }), reject });
      longWriter.write(request).catch(reject);
    });
  return { ping, pingLong, close: () => client.destroy({ isApp: true, errorCode: 0, force: true }).catch(() => undefined) };
}
