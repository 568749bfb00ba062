// The raw floor for bench/scale, run as its own process so its RSS can be read alone: a bare
// @grpc/grpc-js server with the daemon's node-server options and credentials (certificate
// provider credentials asking for a client certificate, the daemon's own CA and server
// certificate, NODE_SERVER_OPTIONS from dist) and one bidi method that echoes the first
// message and then holds the stream open. Reads its certificates from, and sends { port } to,
// its parent over IPC.
import * as grpc from '@grpc/grpc-js';
import { ROOT } from './lib.mjs';
import { RAW_SERVICE } from './scale-node.mjs';

const RPC_DIST = `${ROOT}daemon/dist/rpc`;
const { createNodeServerCredentials, NODE_SERVER_OPTIONS } = await import(`${RPC_DIST}/serverCredentials.js`);
const { TlsCertificateProvider } = await import(`${RPC_DIST}/TlsCertificateProvider.js`);

// The TLS material comes over IPC, not argv: it carries the server's private key.
const material = await new Promise((resolve) => process.once('message', resolve));
const server = new grpc.Server(NODE_SERVER_OPTIONS);
server.addService(RAW_SERVICE, {
  Hold(call) {
    call.once('data', (message) => call.write(message));
    call.on('end', () => call.end());
    call.on('error', () => {});
  },
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
