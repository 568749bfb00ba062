// The raw baseline: a @grpc/grpc-js bidi stream over mTLS on 127.0.0.1 with a throwaway CA
// (RSA 2048 like the daemon's, made with openssl in a temp dir), the daemon's keepalive and
// message-size options, and Buffer (de)serializers: no proto work at all. Every message is
// echoed back; one round trip = one 128-byte message each way.
import * as grpc from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nowMs, stats, throughput, tempDir } from './lib.mjs';

const CHANNEL_OPTIONS = {
  'grpc.ssl_target_name_override': 'bench-server',
  'grpc.keepalive_time_ms': 5_000,
  'grpc.keepalive_timeout_ms': 3_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 4 * 1024 * 1024,
};

/** A throwaway RSA-2048 CA, a server cert (DNS:bench-server, serverAuth) and a client cert (clientAuth), made with openssl in `dir`. */
export function makeCerts(dir) {
  const ssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=bench-ca');
  for (const name of ['server', 'client']) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=bench-${name}`);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=DNS:bench-${name}\nextendedKeyUsage=${name === 'server' ? 'serverAuth' : 'clientAuth'}\n`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  }
  const read = (f) => readFileSync(join(dir, f));
  return { ca: read('ca.pem'), serverKey: read('server.key'), serverCert: read('server.pem'), clientKey: read('client.key'), clientCert: read('client.pem') };
}

const identity = (b) => b;
const SERVICE = {
  Ping: {
    path: '/bench.Echo/Ping',
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** Starts the echo server and a client stream; returns rtt() and close(). */
export async function startBaseline(payloadBytes = 128) {
  const dir = await tempDir('baseline');
  const certs = makeCerts(dir);
  const server = new grpc.Server(CHANNEL_OPTIONS);
  server.addService(SERVICE, {
    Ping(call) {
      call.on('data', (msg) => call.write(msg));
      call.on('end', () => call.end());
      call.on('error', () => {});
    },
  });
  const creds = grpc.ServerCredentials.createSsl(certs.ca, [{ private_key: certs.serverKey, cert_chain: certs.serverCert }], true);
  const port = await new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
  const Client = grpc.makeGenericClientConstructor(SERVICE, 'Echo');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createSsl(certs.ca, certs.clientKey, certs.clientCert), CHANNEL_OPTIONS);
  const stream = client.Ping();
  // Echoes come back in order: resolve the oldest waiter on each.
  const waiters = [];
  stream.on('data', () => waiters.shift()?.());
  stream.on('error', () => {});
  const payload = Buffer.alloc(payloadBytes, 7);
  const rtt = () =>
    new Promise((resolve) => {
      waiters.push(resolve);
      stream.write(payload);
    });
  await rtt(); // handshake
  return {
    rtt,
    close: async () => {
      stream.end();
      client.close();
      await new Promise((r) => server.tryShutdown(() => r()));
      server.forceShutdown();
    },
  };
}

/** Sequential round trips (ms) and throughput at each level of in-flight calls. */
export async function measure(rtt, { warmup, sequential, inFlight, durationMs }) {
  for (let i = 0; i < warmup; i += 1) await rtt();
  const samples = [];
  for (let i = 0; i < sequential; i += 1) {
    const t = nowMs();
    await rtt();
    samples.push(nowMs() - t);
  }
  const tput = [];
  for (const n of inFlight) tput.push(await throughput(rtt, n, durationMs));
  return { roundTripMs: stats(samples), throughput: tput };
}
