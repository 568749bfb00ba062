// The raw baselines: a @grpc/grpc-js bidi stream over mTLS on 127.0.0.1 with a throwaway CA
// (RSA 2048 like the daemon's, made with openssl in a temp dir), the daemon's keepalive and
// message-size options, and Buffer (de)serializers: no proto work at all. The echo server
// runs in its own process (bench/baseline-server.mjs). One hop: client -> echo. Two hops:
// client -> relay process -> echo process, the shape of a dispatch (client -> daemon ->
// node) with nothing but grpc-js in it. One round trip = one 128-byte message each way.
import * as grpc from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nowMs, spawnNode, stats, throughput, tempDir } from './lib.mjs';

const SERVER_SCRIPT = fileURLToPath(new URL('./baseline-server.mjs', import.meta.url));

export const CHANNEL_OPTIONS = {
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
}

export function readCerts(dir) {
  const read = (f) => readFileSync(join(dir, f));
  return { ca: read('ca.pem'), serverKey: read('server.key'), serverCert: read('server.pem'), clientKey: read('client.key'), clientCert: read('client.pem') };
}

const identity = (b) => b;
export const ECHO_SERVICE = {
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

async function startServer(args) {
  const proc = spawnNode(SERVER_SCRIPT, args, { label: `baseline ${args[0]}` });
  const [, port] = await proc.waitFor(/^listening (\d+)$/m, 30_000);
  return { proc, port: Number(port) };
}

/**
 * Starts the echo server (and with `hops: 2` a relay in front of it) and one client stream;
 * returns rtt(), the server processes' pids and close().
 */
export async function startBaseline(payloadBytes = 128, { hops = 1 } = {}) {
  const dir = await tempDir('baseline');
  makeCerts(dir);
  const certs = readCerts(dir);
  const echo = await startServer(['echo', dir]);
  const relay = hops === 2 ? await startServer(['relay', dir, `127.0.0.1:${echo.port}`]) : undefined;
  const Client = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
  const client = new Client(`127.0.0.1:${(relay ?? echo).port}`, grpc.credentials.createSsl(certs.ca, certs.clientKey, certs.clientCert), CHANNEL_OPTIONS);
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
    pids: { ...(relay ? { relay: relay.proc.pid } : {}), echo: echo.proc.pid },
    close: async () => {
      stream.end();
      client.close();
      await relay?.proc.stop();
      await echo.proc.stop();
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
