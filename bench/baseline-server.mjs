// A raw baseline server in its own process (so the baseline, like a dispatch, crosses
// processes): `echo` echoes every message of a bidi stream back; `relay` forwards each
// stream to an upstream echo over its own mTLS connection and the answers back, the shape of
// a dispatch's two hops without any Palyra code. Prints `listening PORT` when ready.
// Usage: node bench/baseline-server.mjs echo|relay CERT_DIR [UPSTREAM_HOST:PORT]
import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, ECHO_SERVICE, readCerts } from './baseline.mjs';

const [mode, certDir, upstream] = process.argv.slice(2);
const certs = readCerts(certDir);
const server = new grpc.Server(CHANNEL_OPTIONS);

if (mode === 'echo') {
  server.addService(ECHO_SERVICE, {
    Ping(call) {
      call.on('data', (msg) => call.write(msg));
      call.on('end', () => call.end());
      call.on('error', () => {});
    },
  });
} else if (mode === 'relay') {
  const Client = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
  const client = new Client(upstream, grpc.credentials.createSsl(certs.ca, certs.clientKey, certs.clientCert), CHANNEL_OPTIONS);
  server.addService(ECHO_SERVICE, {
    Ping(call) {
      const up = client.Ping();
      call.on('data', (msg) => up.write(msg));
      up.on('data', (msg) => call.write(msg));
      call.on('end', () => up.end());
      up.on('end', () => call.end());
      call.on('error', () => up.cancel());
      up.on('error', () => {});
    },
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}

const creds = grpc.ServerCredentials.createSsl(certs.ca, [{ private_key: certs.serverKey, cert_chain: certs.serverCert }], true);
server.bindAsync('127.0.0.1:0', creds, (error, port) => {
  if (error) throw error;
  console.log(`listening ${port}`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
