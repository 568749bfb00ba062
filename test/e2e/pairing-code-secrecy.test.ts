/**
 * The stored state (the one that gets backed up) never holds what CPace is keyed with (issue 12,
 * "also seen"): with a real `palyrad`, mint codes, fetch the PIN's salt the way any node does
 * (a raw Pair hello) and derive the PIN's password equivalent; neither is anywhere in the
 * state store's files (palyrad.db and its WAL) nor in its `palyrad state export` document. A
 * restart ends the codes minted before it: a join with such a PIN fails with
 * PALYRA_E_PAIRING_CODE_EXPIRED, and a fresh PIN pairs.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PAIRING_PROTOCOL, derivePinPrs, deriveQrPrs, parseQrUri } from '@palyra/shared/pairing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectErrorLine } from '../helpers/cliAssertions.js';
import { daemonCli, DaemonProcess, pairNode, spawnJoin, type PairingCodeJson } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, stopProcesses, TempDirs } from '../helpers/processes.js';
import { PairProbe, Scope, pairHello, pairingClient, type RunningDaemon } from '../integration/harness.js';

const dirs = new TempDirs();
let scope = new Scope();

afterEach(async () => {
  await scope.dispose();
  scope = new Scope();
  await stopProcesses();
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

/** The salt the daemon hands any node for the active PIN (a hello only: no attempt is spent). */
async function activePinSalt(daemon: DaemonProcess): Promise<Buffer> {
  const client = await pairingClient(scope, { address: daemon.ready.grpc } as RunningDaemon);
  const probe = new PairProbe(scope, client);
  const { serverHello } = await pairHello(probe);
  probe.call.cancel();
  return Buffer.from(serverHello.pinSalt);
}

/** The same for a QR code, named by its id. */
async function qrSalt(daemon: DaemonProcess, codeId: string): Promise<Buffer> {
  const probe = new PairProbe(scope, await pairingClient(scope, { address: daemon.ready.grpc } as RunningDaemon));
  probe.send({ hello: { protocol: PAIRING_PROTOCOL, method: 'PAIRING_METHOD_QR', nonce: randomBytes(32), codeId } });
  const salt = (await probe.next()).serverHello?.pinSalt;
  probe.call.cancel();
  return Buffer.from(salt ?? Buffer.alloc(0));
}

/** The registry as `palyrad state export` writes it. */
async function exported(stateDir: string): Promise<string> {
  const result = await daemonCli(stateDir, 'state', 'export');
  if (result.code !== 0) throw new Error(`state export failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

/** The store's files as bytes (latin1: any byte sequence a text encoding could leave there). */
async function storeBytes(stateDir: string): Promise<string> {
  const files = ['palyrad.db', 'palyrad.db-wal'].map((name) => join(stateDir, name)).filter((file) => existsSync(file));
  return (await Promise.all(files.map((file) => readFile(file, 'latin1')))).join('');
}

/** Every encoding of `bytes` a file could hold it in. */
function encodings(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes);
  return [b.toString('base64'), b.toString('base64url'), b.toString('hex'), b.toString('base64').replace(/=+$/, '')];
}

describe('pairing code derivations stay out of the state file (real daemon)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('holds no PIN derivation or salt, nor a QR token derivation; a restart ends active codes', async () => {
    const stateDir = join(await dirs.make('palyra-e2e-codes-'), 'state');
    const first = await DaemonProcess.start(stateDir);
    const qr = parseQrUri((await first.json<PairingCodeJson>('pairing', 'code', '--method', 'qr')).uri ?? '');
    const qrCodeSalt = await qrSalt(first, qr.codeId);
    expect(qrCodeSalt).toHaveLength(16);
    const pin = await first.mintPin();
    const salt = await activePinSalt(first);
    expect(salt).toHaveLength(16);
    const prs = await derivePinPrs(pin, salt);

    const text = await exported(stateDir);
    const raw = await storeBytes(stateDir);
    const state = JSON.parse(text) as { pairingCodes: Record<string, unknown>[] };
    expect(state.pairingCodes.map((c) => c.state)).toEqual(['active', 'active']);
    for (const code of state.pairingCodes) expect(Object.keys(code).sort()).toEqual(['attempts', 'createdAt', 'expiresAt', 'id', 'method', 'state']);
    const qrPrs = deriveQrPrs(qr.token, qrCodeSalt);
    for (const secret of [...encodings(prs), ...encodings(salt), ...encodings(qrPrs), ...encodings(qrCodeSalt), ...encodings(qr.token), pin]) {
      expect(text).not.toContain(secret);
      expect(raw).not.toContain(secret);
    }

    // Restart: the codes minted before it are over, and say why.
    await first.stop();
    const second = await DaemonProcess.start(stateDir);
    const join_ = spawnJoin(join(await dirs.make('palyra-e2e-node-'), 'node'), second, pin);
    const result = await join_.waitForExit();
    expect(expectErrorLine(result, 'PALYRA_E_PAIRING_CODE_EXPIRED', undefined, { logs: true })).toContain('codes also end when the daemon restarts');
    const after = JSON.parse(await exported(stateDir)) as { pairingCodes: Record<string, unknown>[] };
    expect(after.pairingCodes.map((c) => c.state)).toEqual(['expired', 'expired']);

    // A PIN minted after the restart pairs.
    const deviceId = await pairNode(second, join(await dirs.make('palyra-e2e-node-'), 'node'), 'after-restart');
    expect(deviceId).toMatch(/^[0-9A-Z]{26}$/);
    expect(await exported(stateDir)).not.toMatch(/"prs"|"salt"/);
    expect(await storeBytes(stateDir)).not.toMatch(/"prs"|"salt"/);
  });
});
