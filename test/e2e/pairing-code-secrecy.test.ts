/**
 * The state file (the one that gets backed up) never holds what CPace is keyed with (issue 12,
 * "also seen"): with a real `palyrad`, mint codes, fetch the PIN's salt the way any node does
 * (a raw Pair hello) and derive the PIN's password equivalent; neither is anywhere in
 * the state database (palyrad.db and its WAL). A restart ends the codes minted before it: a join with such a PIN
 * fails with PALYRA_E_PAIRING_CODE_EXPIRED, and a fresh PIN pairs.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PAIRING_PROTOCOL, derivePinPrs, deriveQrPrs, parseQrUri } from '@palyra/shared/pairing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectErrorLine } from '../helpers/cliAssertions.js';
import { DaemonProcess, pairNode, spawnJoin, stateDatabase, storedRecords, type PairingCodeJson } from '../helpers/daemonHarness.js';
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

/** The database and its WAL as bytes: what a copy of the state dir holds. */
async function databaseBytes(stateDir: string): Promise<string> {
  const read = (file: string) => readFile(file).then((b) => b.toString('latin1'), () => '');
  return (await read(stateDatabase(stateDir))) + (await read(`${stateDatabase(stateDir)}-wal`));
}

/** Every encoding of `bytes` a file could hold it in. */
function encodings(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes);
  return [b.toString('base64'), b.toString('base64url'), b.toString('hex'), b.toString('base64').replace(/=+$/, '')];
}

describe('pairing code derivations stay out of the state database (real daemon)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
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

    const text = await databaseBytes(stateDir);
    const codes = storedRecords<Record<string, unknown>>(stateDir, 'pairing_codes');
    expect(codes.map((c) => c.state)).toEqual(['active', 'active']);
    for (const code of codes) expect(Object.keys(code).sort()).toEqual(['attempts', 'createdAt', 'expiresAt', 'id', 'method', 'state']);
    const qrPrs = deriveQrPrs(qr.token, qrCodeSalt);
    for (const secret of [...encodings(prs), ...encodings(salt), ...encodings(qrPrs), ...encodings(qrCodeSalt), ...encodings(qr.token), pin]) {
      expect(text).not.toContain(secret);
    }

    // Restart: the codes minted before it are over, and say why.
    await first.stop();
    const second = await DaemonProcess.start(stateDir);
    const join_ = spawnJoin(join(await dirs.make('palyra-e2e-node-'), 'node'), second, pin);
    const result = await join_.waitForExit();
    expect(expectErrorLine(result, 'PALYRA_E_PAIRING_CODE_EXPIRED', undefined, { logs: true })).toContain('codes also end when the daemon restarts');
    expect(storedRecords<Record<string, unknown>>(stateDir, 'pairing_codes').map((c) => c.state)).toEqual(['expired', 'expired']);

    // A PIN minted after the restart pairs.
    const deviceId = await pairNode(second, join(await dirs.make('palyra-e2e-node-'), 'node'), 'after-restart');
    expect(deviceId).toMatch(/^[0-9A-Z]{26}$/);
    expect(await databaseBytes(stateDir)).not.toMatch(/"prs"|"salt"/);
  });
});
