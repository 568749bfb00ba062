/**
 * Concurrent Pair streams against the built palyrad (issue 12, item 5): one client holding
 * more Pair streams than --max-pairings-per-address gets RESOURCE_EXHAUSTED with
 * PALYRA_E_PAIRING_BUSY for the excess at once, the daemon logs one line for them (not one
 * per stream), and a real node pairs once the streams are gone.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { fromServiceError, loadPalyraProto, type PairClientMessage, type PairServerMessage__Output, type PairingServiceClient } from '@palyra/proto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DaemonProcess, pairNode } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, TempDirs, pollUntil, stopProcesses } from '../helpers/processes.js';

const dirs = new TempDirs();
const clients: grpc.Client[] = [];
const calls: Array<{ cancel(): void }> = [];

afterEach(async () => {
  for (const call of calls.splice(0)) call.cancel();
  for (const client of clients.splice(0)) client.close();
  await stopProcesses();
}, E2E_HOOK_TIMEOUT_MS);
afterAll(() => dirs.cleanup(), E2E_HOOK_TIMEOUT_MS);

interface PairStream {
  call: grpc.ClientDuplexStream<PairClientMessage, PairServerMessage__Output>;
  /** The error status the daemon ended the stream with, once it did. */
  status: () => grpc.ServiceError | undefined;
}

function openPair(client: PairingServiceClient): PairStream {
  const call = client.Pair();
  calls.push(call);
  let error: grpc.ServiceError | undefined;
  call.on('error', (e: grpc.ServiceError) => {
    error = e;
  });
  call.on('data', () => undefined);
  return { call, status: () => error };
}

describe('concurrent pairing exchanges (real palyrad)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('refuses Pair streams over --max-pairings-per-address with RESOURCE_EXHAUSTED and PALYRA_E_PAIRING_BUSY, logs them once, then pairs a real node', async () => {
    const cap = 3;
    const excess = 12;
    const daemon = await DaemonProcess.start(join(await dirs.make('palyra-e2e-pairlimits-'), 'state'), [
      '--quic-listen', 'off', '--max-pairings-per-address', String(cap),
    ]);
    const caCertPem = await readFile(join(daemon.stateDir, 'ca.crt'));
    const { PairingService } = loadPalyraProto();
    // One client, one connection: every stream comes from the same address.
    const client = new PairingService(
      daemon.ready.grpc,
      grpc.credentials.createSsl(caCertPem, null, null, { checkServerIdentity: () => undefined }),
      { 'grpc.ssl_target_name_override': 'palyrad', 'grpc.use_local_subchannel_pool': 1 },
    );
    clients.push(client);

    // Streams within the cap say nothing, so the daemon holds them (until its 30 s exchange timeout).
    const held = Array.from({ length: cap }, () => openPair(client));
    await new Promise<void>((resolve, reject) => {
      client.waitForReady(Date.now() + 30_000, (error) => (error ? reject(error) : resolve()));
    });
    const refused = Array.from({ length: excess }, () => openPair(client));
    const statuses = await pollUntil(async () => (refused.every((s) => s.status() !== undefined) ? refused.map((s) => s.status()) : undefined), {
      timeoutMs: 20_000,
      intervalMs: 50,
      what: 'the daemon to refuse the streams over the cap',
    });
    for (const status of statuses) {
      expect(status?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      const palyra = fromServiceError(status as grpc.ServiceError);
      expect(palyra.code).toBe('PALYRA_E_PAIRING_BUSY');
      expect(palyra.message).toMatch(/--max-pairings-per-address/);
    }
    expect(held.filter((s) => s.status() !== undefined), 'the streams within the cap are still open').toEqual([]);

    // Twelve refusals, one line: the rest are counted in a summary at the end of the interval.
    const lines = daemon.process.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; suppressed?: number })
      .filter((record) => record.msg.startsWith('refused a pairing exchange'));
    expect(lines.filter((l) => l.suppressed === undefined)).toHaveLength(1);
    expect(lines.length).toBeLessThanOrEqual(2);

    // The streams end: their slots are free again and a real node pairs from the same address.
    for (const stream of held) stream.call.cancel();
    client.close();
    expect(await pairNode(daemon, join(await dirs.make('palyra-e2e-pairlimits-node-'), 'state'))).toMatch(/^[0-9A-Z]{26}$/);
  });
});
