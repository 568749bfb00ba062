// The raw floor for bench/scale, run as its own process so its RSS can be read alone: a bare
// @grpc/grpc-js server with the daemon's node-server options and credentials (certificate
// provider credentials asking for a client certificate, the daemon's own CA and server
// certificate, NODE_SERVER_OPTIONS from dist) and one bidi method that echoes the first
// message and then holds the stream open. Reads its certificates from, and sends { port } to,
// its parent over IPC. The fan-out floor (issue 17): on { type: 'fanout', bytes }, it writes one
// message of that size down every held stream and answers { type: 'fannedOut', sent, answered,
// ms } once every node echoed it back (the raw node echoes every message after its first).
import * as grpc from '@grpc/grpc-js';
import { ROOT } from './lib.mjs';
import { RAW_SERVICE } from './scale-node.mjs';

const RPC_DIST = `${ROOT}daemon/dist/rpc`;
const { createNodeServerCredentials, NODE_SERVER_OPTIONS } = await import(`${RPC_DIST}/serverCredentials.js`);
const { TlsCertificateProvider } = await import(`${RPC_DIST}/TlsCertificateProvider.js`);

// The TLS material comes over IPC, not argv: it carries the server's private key.
const material = await new Promise((resolve) => process.once('message', resolve));
const server = new grpc.Server(NODE_SERVER_OPTIONS);
/** Streams held, and the reply counter of the fan-out in progress. */
const held = new Set();
let onReply;
server.addService(RAW_SERVICE, {
  Hold(call) {
    let first = true;
    call.on('data', (message) => {
      if (first) {
        first = false;
        held.add(call);
        call.write(message);
      } else onReply?.();
    });
    const drop = () => held.delete(call);
    call.on('end', () => {
      drop();
      call.end();
    });
    call.on('error', drop);
    call.on('cancelled', drop);
  },
});
process.on('message', (m) => {
  if (m?.type !== 'fanout') return;
  const payload = Buffer.alloc(m.bytes ?? 64, 1);
  const targets = [...held];
  const t0 = performance.now();
  let answered = 0;
  const done = () => process.send({ type: 'fannedOut', sent: targets.length, answered, ms: performance.now() - t0 });
  const timer = setTimeout(done, 120_000);
  onReply = () => {
    answered += 1;
    if (answered === targets.length) {
      clearTimeout(timer);
      onReply = undefined;
      done();
    }
  };
  for (const call of targets) call.write(payload);
});
const provider = new TlsCertificateProvider(material);
const port = await new Promise((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', createNodeServerCredentials(provider), (error, p) => (error ? reject(error) : resolve(p))),
);
process.send({ type: 'listening', port });
process.on('disconnect', () => {
  server.forceShutdown();
  process.exit(0);
});
