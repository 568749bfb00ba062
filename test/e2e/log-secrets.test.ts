import { readFile } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultIdentityStore } from '../../agent/src/identity/index.js';
import { DaemonProcess, type PendingRow } from '../helpers/daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, PALYRA_NODE, TempDirs, spawnBin, stopProcesses } from '../helpers/processes.js';

/**
 * Scans everything the programs print during a full PIN and QR pairing, at the most verbose
 * log level, for the secrets involved: the PIN, the QR token, and private keys.
 */
describe('logs never contain a PIN, token or key', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  const dirs = new TempDirs();
  let daemon: DaemonProcess;

  beforeAll(async () => {
    daemon = await DaemonProcess.start(await dirs.make(), ['--log-level', 'trace']);
  }, E2E_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await stopProcesses();
    await dirs.cleanup();
  }, E2E_HOOK_TIMEOUT_MS);

  it('a full pairing (a wrong PIN, the right PIN, a QR code) and a run leave no secret in any output', async () => {
    const pin = await daemon.mintPin();
    const wrongPin = pin === '000000' ? '111111' : '000000';
    const nodeDir = await dirs.make();
    const wrong = spawnBin(PALYRA_NODE, ['join', '--pin', wrongPin, '--daemon', daemon.ready.grpc, '--state-dir', nodeDir]);
    expect((await wrong.waitForExit()).code).not.toBe(0);

    const join = spawnBin(PALYRA_NODE, ['join', '--pin', pin, '--daemon', daemon.ready.grpc, '--state-dir', nodeDir, '--name', 'log-scan']);
    await join.waitFor(/waiting for approval/);
    const [request] = (await daemon.json<PendingRow[]>('nodes', 'pending')).filter((r) => r.name === 'log-scan');
    expect((await daemon.cli('nodes', 'approve', request?.requestId ?? '')).code).toBe(0);
    expect((await join.waitForExit()).code).toBe(0);

    const qr = await daemon.json<{ code: string; uri: string }>('pairing', 'code', '--method', 'qr');
    const qrNodeDir = await dirs.make();
    const qrJoin = spawnBin(PALYRA_NODE, ['join', '--qr', qr.uri, '--state-dir', qrNodeDir, '--name', 'log-scan-qr']);
    await qrJoin.waitFor(/waiting for approval/);
    const [qrRequest] = (await daemon.json<PendingRow[]>('nodes', 'pending')).filter((r) => r.name === 'log-scan-qr');
    expect((await daemon.cli('nodes', 'approve', qrRequest?.requestId ?? '')).code).toBe(0);
    expect((await qrJoin.waitForExit()).code).toBe(0);

    const run = spawnBin(PALYRA_NODE, ['run', '--state-dir', nodeDir]);
    await run.waitFor(/palyra-node ready/);
    await run.stop();

    const outputs = [daemon.process, wrong, join, qrJoin, run].map((p) => `${p.stdout}\n${p.stderr}`).join('\n');
    // The daemon did log the pairing (so the scan looks at real log lines).
    expect(daemon.process.stderr).toMatch(/pairing attempt failed/);
    expect(daemon.process.stderr).toMatch(/pairing request approved/);
    for (const secret of [pin, qr.code, Buffer.from(qr.code, 'base64url').toString('hex')]) {
      expect(outputs).not.toContain(secret);
    }
    expect(outputs).not.toMatch(/PRIVATE KEY/);
    // The node's keys never appear either: the vault's data key (the tests use the file
    // vault, so the key file is there: a missing one fails the test rather than skipping the
    // check), and every private key of both identities, read back from their vaults.
    for (const dir of [nodeDir, qrNodeDir]) {
      const keyFile = (await readFile(joinPath(dir, 'vault.key'), 'utf8')).trim();
      expect(keyFile).not.toBe('');
      expect(outputs).not.toContain(keyFile);
      const identity = await new VaultIdentityStore({ stateDir: dir, choice: 'file', env: {} }).load();
      expect(identity).toBeDefined();
      for (const secret of [identity!.ed25519PrivateKey, identity!.x25519PrivateKey, pemBody(identity!.tlsPrivateKeyPem)]) {
        expect(secret.length).toBeGreaterThan(0);
        expect(outputs).not.toContain(secret);
        expect(outputs).not.toContain(Buffer.from(secret, 'base64').toString('hex'));
      }
    }
  });
});

/** The base64 body of a PEM, on one line (a log would not keep the line breaks). */
function pemBody(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}
