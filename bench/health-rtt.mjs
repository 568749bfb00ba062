#!/usr/bin/env node
// Health round trip on loopback, QUIC (node.health on a new stream per ping) vs gRPC (the
// unary Health RPC), against a real in-process daemon and a node paired with the real join.
// Prints one JSON document. Needs `npm run build` first. Usage: node bench/health-rtt.mjs [pings]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Daemon, ControlClient } from '@palyra/daemon';
import { joinDaemon } from '@palyra/agent';
import { loadPalyraProto } from '@palyra/proto';
import { parseHostPort } from '@palyra/shared';
import { QuicDaemonClient } from '../agent/dist/connection/quic/QuicDaemonClient.js';
import { healthParams } from '../agent/dist/connection/HealthChannel.js';
import { createDaemonCredentials } from '../agent/dist/connection/daemonCredentials.js';
import { CLIENT_CHANNEL_OPTIONS } from '../agent/dist/connection/clientOptions.js';

const pings = Number(process.argv[2] ?? 500);
const dir = await mkdtemp(join(tmpdir(), 'palyra-bench-'));
const daemon = await Daemon.create({ stateDir: join(dir, 'd'), listen: { host: '127.0.0.1', port: 0 }, vault: { choice: 'file' } });
try {
  const control = await ControlClient.connect(join(dir, 'd'));
  const { code } = await control.createPairingCode({ method: 'pin' });
  let approve;
  const approved = new Promise((resolve) => (approve = resolve));
  const joined = joinDaemon({
    daemonAddress: daemon.info.grpcAddress,
    secret: { method: 'pin', pin: code },
    name: 'bench',
    onConfirmed: ({ requestId }) => control.decide(requestId, true).then(approve),
  });
  await approved;
  const identity = await joined;

  const stats = (samples) => {
    const sorted = [...samples].sort((a, b) => a - b);
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { pings: sorted.length, medianMs: +at(0.5).toFixed(3), p90Ms: +at(0.9).toFixed(3), p99Ms: +at(0.99).toFixed(3), minMs: +sorted[0].toFixed(3) };
  };

  const quic = await QuicDaemonClient.connect({ address: parseHostPort(daemon.info.quicAddress), credentials: identity, timeoutMs: 5_000 });
  const quicSamples = [];
  for (let i = 0; i < pings + 20; i++) {
    const { rttMs } = await quic.health(healthParams());
    if (i >= 20) quicSamples.push(rttMs);
  }
  await quic.close();

  const { NodeService } = loadPalyraProto();
  const grpcClient = new NodeService(identity.daemonAddress, createDaemonCredentials(identity), CLIENT_CHANNEL_OPTIONS);
  const grpcHealth = () =>
    new Promise((resolve, reject) => {
      const p = healthParams();
      grpcClient.Health(
        { deviceId: identity.deviceId, sentAtMs: String(p.sentAtMs), agentVersion: p.agentVersion, uptimeSec: p.uptimeSec, loadAvg: p.loadAvg,
          memoryTotalBytes: String(p.memory.totalBytes), memoryFreeBytes: String(p.memory.freeBytes), memoryRssBytes: String(p.memory.rssBytes), lastRttMs: 0 },
        { deadline: Date.now() + 10_000 },
        (error) => (error ? reject(error) : resolve()),
      );
    });
  const grpcSamples = [];
  for (let i = 0; i < pings + 20; i++) {
    const started = performance.now();
    await grpcHealth();
    if (i >= 20) grpcSamples.push(performance.now() - started);
  }
  grpcClient.close();
  control.close();
  console.log(JSON.stringify({ bench: 'health-rtt', node: process.version, loopback: true, quic: stats(quicSamples), grpc: stats(grpcSamples) }, null, 2));
} finally {
  await daemon.stop();
  await rm(dir, { recursive: true, force: true });
}
