// Child process of bench/quic: the raw QUIC echo server (bench/quic-raw.mjs) in its own
// process, as palyrad is, so both sides of the comparison cross a process boundary.
// Usage: node bench/quic-raw-server.mjs CERT_DIR   (ca.pem, server.pem, server.key from makeCerts)
// Prints one line {"event":"ready","port":N}; stops on SIGTERM.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRawServer } from './quic-raw.mjs';

const dir = process.argv[2];
const read = (f) => readFileSync(join(dir, f), 'utf8');
const server = await startRawServer({ caPem: read('ca.pem'), certPem: read('server.pem'), keyPem: read('server.key') });
process.stdout.write(`${JSON.stringify({ event: 'ready', port: server.port })}\n`);
process.once('SIGTERM', () => {
  void server.stop().finally(() => process.exit(0));
});
