/**
 * The gRPC port against peers that connect and then do nothing (issue 12, item 4), through
 * the built palyrad: connections that never finish TLS or never send the HTTP/2 preface are
 * closed by the daemon after --handshake-timeout, connections over --max-connections-per-address
 * or --max-connections are closed at once with one log line (not one per connection), the
 * daemon's file descriptors come back, and a real node still pairs afterwards.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DaemonProcess, pairNode } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, TempDirs, pollUntil, stopProcesses } from '../helpers/processes.js';

const dirs = new TempDirs();
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await stopProcesses();
}, E2E_HOOK_TIMEOUT_MS);
afterAll(() => dirs.cleanup(), E2E_HOOK_TIMEOUT_MS);

async function startDaemon(args: string[]): Promise<DaemonProcess> {
  return DaemonProcess.start(join(await dirs.make('palyra-e2e-connlimits-'), 'state'), ['--quic-listen', 'off', ...args]);
}

interface Held {
  socket: Socket;
  /** Resolves when the daemon closed the connection (the client never closes it itself). */
  closed: Promise<void>;
  isClosed: () => boolean;
}

function track(socket: Socket): Held {
  sockets.add(socket);
  let done = false;
  const closed = new Promise<void>((resolve) => {
    socket.once('close', () => {
      done = true;
      resolve();
    });
  });
  socket.on('error', () => undefined);
  // Read (and drop) whatever comes, so that the daemon's FIN is seen.
  socket.on('data', () => undefined);
  return { socket, closed, isClosed: () => done };
}

/** A TCP connection that never sends a byte (not even a TLS ClientHello). */
async function silentTcp(port: number, localAddress = '127.0.0.1'): Promise<Held> {
  const socket = tcpConnect({ host: '127.0.0.1', port, localAddress });
  const held = track(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return held;
}

/** A TLS connection (ALPN h2, no client certificate) that finishes the handshake and then never sends the HTTP/2 preface. */
async function idleTls(port: number): Promise<Held> {
  const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['h2'] });
  const held = track(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  return held;
}

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** The daemon's JSON log lines whose message starts with `prefix`. */
function logLines(daemon: DaemonProcess, prefix: string): Array<{ msg: string; suppressed?: number }> {
  return daemon.process.stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string; suppressed?: number })
    .filter((record) => record.msg.startsWith(prefix));
}

/** Bound on waiting for the daemon to close something: far below the 120 s of node:tls's own handshake timeout. */
const CLOSE_BOUND_MS = 30_000;

/** Polls `condition` until it holds (a liveness bound, not a measurement). */
async function until(condition: () => boolean, what: string): Promise<void> {
  await pollUntil(async () => (condition() ? true : undefined), { timeoutMs: CLOSE_BOUND_MS, intervalMs: 50, what });
}

async function allClosed(held: Held[], what: string): Promise<void> {
  await until(() => held.every((h) => h.isClosed()), what);
}

describe('gRPC port connection limits (real palyrad)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('closes connections that never finish TLS or never send the HTTP/2 preface within --handshake-timeout, and frees their descriptors', async () => {
    const daemon = await startDaemon(['--handshake-timeout', '2s']);
    const pid = daemon.ready.pid;
    const baseline = openFds(pid);

    const silent = await Promise.all(Array.from({ length: 5 }, () => silentTcp(daemon.port)));
    const tls = await Promise.all(Array.from({ length: 5 }, () => idleTls(daemon.port)));
    await allClosed([...silent, ...tls], 'the daemon to close every idle connection');
    await until(() => openFds(pid) <= baseline, "the daemon's descriptors to come back");

    // Ten expired handshakes, one line (the rest are counted in a summary a minute later).
    const lines = logLines(daemon, 'closed a connection that did not finish TLS');
    expect(lines.filter((l) => l.suppressed === undefined)).toHaveLength(1);
    expect(lines.length).toBeLessThanOrEqual(2);

    // A real node still pairs, on a connection that does finish its handshake in time.
    expect(await pairNode(daemon, join(await dirs.make('palyra-e2e-connlimits-node-'), 'state'))).toMatch(/^[0-9A-Z]{26}$/);
  });

  it('closes connections over the per-address and total caps at once, logs each cap once, and still serves a node', async () => {
    // A long deadline: here only the caps may close anything while the test looks.
    const daemon = await startDaemon(['--handshake-timeout', '10m', '--max-connections-per-address', '6', '--max-connections', '9']);
    const pid = daemon.ready.pid;
    const baseline = openFds(pid);

    const first = await Promise.all(Array.from({ length: 6 }, () => silentTcp(daemon.port)));
    const overAddress = await Promise.all(Array.from({ length: 4 }, () => silentTcp(daemon.port)));
    await allClosed(overAddress, 'the daemon to close the connections over the per-address cap');
    expect(first.filter((h) => h.isClosed()), 'the connections within the cap stay open').toEqual([]);

    // Another address (127.0.0.2 is loopback too): 3 more fit the total of 9, the rest do not.
    const second = await Promise.all(Array.from({ length: 3 }, () => silentTcp(daemon.port, '127.0.0.2')));
    const overTotal = await Promise.all(Array.from({ length: 3 }, () => silentTcp(daemon.port, '127.0.0.2')));
    await allClosed(overTotal, 'the daemon to close the connections over the total cap');
    expect([...first, ...second].filter((h) => h.isClosed()), 'the connections within the caps stay open').toEqual([]);

    const perAddressLines = logLines(daemon, 'refused a connection: this address holds its maximum of 6');
    const totalLines = logLines(daemon, 'refused a connection: the daemon holds its maximum of 9');
    expect(perAddressLines.filter((l) => l.suppressed === undefined)).toHaveLength(1);
    expect(totalLines.filter((l) => l.suppressed === undefined)).toHaveLength(1);
    expect(perAddressLines.length + totalLines.length).toBeLessThanOrEqual(4);

    // The peer lets go: the daemon's descriptors come back, and a real node pairs.
    for (const held of [...first, ...second]) held.socket.destroy();
    await until(() => openFds(pid) <= baseline, "the daemon's descriptors to come back");
    expect(await pairNode(daemon, join(await dirs.make('palyra-e2e-connlimits-node-'), 'state'))).toMatch(/^[0-9A-Z]{26}$/);
  });
});
