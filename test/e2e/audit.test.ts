/**
 * Issue 16 part 6 through the built binaries: every mutating palyrad command leaves its audit
 * entry, with the local owner as actor and no secret (PIN, QR token, dispatch input) in any
 * audit file; and `palyrad audit verify` on a real daemon's log passes, then names the entry
 * a script edited, also after a restart.
 */
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import { remoteAdminClient } from '../helpers/adminRemote.js';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, pairNode, spawnJoin, type PendingRow } from '../helpers/daemonHarness.js';
import { parseInvokeJson, runInvoke, startAgent, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_TEST_TIMEOUT_MS, pollUntil, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();

afterEach(async () => {
  await stopProcesses();
  await dirs.cleanup();
});

interface Entry {
  seq: number;
  action: string;
  actor: { kind: string; uid?: number; deviceId?: string; tokenId?: string; tokenName?: string };
  outcome: string;
  node?: string;
  capability?: string;
  inputSha256?: string;
  inputBytes?: number;
  remoteAddress?: string;
  errorCode?: string;
  details?: Record<string, unknown>;
}

async function auditEntries(daemon: DaemonProcess, ...filters: string[]): Promise<Entry[]> {
  return parseOneJson<Entry[]>(await daemon.cli('audit', ...filters, '--json'));
}

/** Every byte of every file in the audit directory (rotated, torn, anchor). */
async function auditBytes(stateDir: string): Promise<string> {
  const dir = join(stateDir, 'audit');
  const names = await readdir(dir);
  const parts = await Promise.all(names.map((name) => readFile(join(dir, name), 'utf8')));
  return parts.join('\n');
}

describe('audit log (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('records an entry for every mutating command, with the local owner as actor and no secret', async () => {
    const base = await dirs.make('palyra-e2e-audit-');
    const root = join(base, 'root');
    await mkdir(root);
    const daemon = await DaemonProcess.start(join(base, 'daemon'));
    const local = { kind: 'local', uid: process.getuid?.() ?? 0 };

    // pairing code (pin), the node's request, approve (+ certificate issued)
    const nodeDir = join(base, 'node');
    const deviceId = await pairNode(daemon, nodeDir, 'audited-node');
    const pins = (await auditEntries(daemon, '--action', 'pairing.code.create')).map((e) => e.details?.method);
    expect(pins).toEqual(['pin']);

    // a QR code: its token must never reach the log
    const qr = parseOneJson<{ code: string }>(await daemon.cli('pairing', 'code', '--method', 'qr', '--json'));

    // a second join, rejected
    const pin = await daemon.mintPin();
    const joining = spawnJoin(join(base, 'rejected'), daemon, pin, ['--name', 'unwelcome']);
    const [, requestId] = await joining.waitFor(/\(request (\S+?)[,)]/);
    await joining.waitFor(/waiting for approval/);
    const rejected = await daemon.cli('nodes', 'reject', requestId ?? '');
    expect(rejected.code, rejected.stderr).toBe(0);
    await joining.waitForExit();
    expect(parseOneJson<PendingRow[]>(await daemon.cli('nodes', 'pending', '--json'))).toEqual([]);

    // nodes invoke: one that runs, one the daemon rejects (unknown capability)
    const configPath = await writeNodeConfig(base, { plugins: [{ use: 'filesystem', grants: { roots: [root], write: true } }] });
    await startAgent(nodeDir, configPath);
    const secretInput = { path: 'note.txt', content: 'dispatch-input-secret-4f1c9a' };
    const ran = parseInvokeJson(await runInvoke(daemon, deviceId, 'fs.write', secretInput, ['--json']));
    expect(ran.status).toBe('succeeded');
    const refused = await runInvoke(daemon, deviceId, 'no.such.capability', {}, ['--json']);
    expect(refused.code).not.toBe(0);

    // dispatches cancel (through the admin API: the CLI has no cancel command)
    const client = await ControlClient.connect(daemon.stateDir);
    try {
      expect(await client.cancelDispatch(ran.dispatchId)).toBe(false);
    } finally {
      client.close();
    }

    // nodes renew, ca rotate, ca finish, nodes remove
    expect((await daemon.cli('nodes', 'renew', deviceId, '--json')).code).toBe(0);
    expect((await daemon.cli('ca', 'rotate', '--json')).code).toBe(0);
    const finished = await daemon.cli('ca', 'finish', '--force', '--json');
    expect(finished.code, finished.stderr).toBe(0);
    expect((await daemon.cli('nodes', 'remove', deviceId)).code).toBe(0);

    const entries = await auditEntries(daemon);
    const byAction = (action: string): Entry[] => entries.filter((e) => e.action === action);
    const one = (action: string): Entry => {
      const found = byAction(action);
      expect(found.length, `${action} entries in ${JSON.stringify(entries.map((e) => e.action))}`).toBeGreaterThan(0);
      return found[0] as Entry;
    };
    expect(byAction('pairing.code.create').map((e) => [e.details?.method, e.actor, e.remoteAddress])).toEqual([
      ['pin', local, 'unix'],
      ['qr', local, 'unix'],
      ['pin', local, 'unix'],
    ]);
    expect(byAction('pairing.request').map((e) => e.details?.name)).toEqual(['audited-node', 'unwelcome']);
    expect(one('pairing.request').actor).toEqual({ kind: 'node', deviceId });
    expect(one('pairing.approve')).toMatchObject({ actor: local, node: deviceId, outcome: 'ok' });
    expect(one('cert.issue')).toMatchObject({ actor: local, node: deviceId });
    expect(one('cert.issue').details?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(one('pairing.reject')).toMatchObject({ actor: local, outcome: 'ok', details: { requestId, name: 'unwelcome' } });
    const dispatches = byAction('dispatch');
    expect(dispatches.map((e) => [e.capability, e.outcome, e.errorCode])).toEqual([
      ['fs.write', 'succeeded', undefined],
      ['no.such.capability', 'rejected', expect.stringMatching(/^PALYRA_E_/)],
    ]);
    expect(dispatches[0]).toMatchObject({ actor: local, node: deviceId, remoteAddress: 'unix', inputBytes: JSON.stringify(secretInput).length, details: { dispatchId: ran.dispatchId } });
    expect(dispatches[0]?.inputSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(one('dispatch.cancel')).toMatchObject({ actor: local, details: { dispatchId: ran.dispatchId, cancelled: false } });
    expect(one('node.renew.request')).toMatchObject({ actor: local, node: deviceId, details: { asked: 1 } });
    expect(one('ca.rotate')).toMatchObject({ actor: local, outcome: 'ok' });
    expect(one('ca.finish')).toMatchObject({ actor: local, outcome: 'ok', details: { force: true } });
    expect(one('node.remove')).toMatchObject({ actor: local, node: deviceId, outcome: 'ok', details: { name: 'audited-node' } });
    expect(byAction('cert.revoke').some((e) => e.node === deviceId && e.actor.kind === 'daemon')).toBe(true);

    // Filters: by actor, by node, by action prefix.
    const fromNode = await auditEntries(daemon, '--actor', `node:${deviceId}`);
    expect(fromNode.length).toBeGreaterThan(0);
    expect(fromNode.every((e) => e.actor.kind === 'node')).toBe(true);
    expect((await auditEntries(daemon, '--action', 'ca.')).map((e) => e.action)).toEqual(['ca.rotate', 'ca.finish']);
    expect((await auditEntries(daemon, '--node', deviceId, '--limit', '2')).length).toBe(2);
    const text = await daemon.cli('audit', '--action', 'node.remove');
    expect(text.stdout).toMatch(new RegExp(`#\\d+  local:\\d+  node.remove  ${deviceId}  ok  name=audited-node from=unix`));

    // No secret in any audit file: the PINs, the QR token, the dispatch input.
    const bytes = await auditBytes(daemon.stateDir);
    expect(bytes).not.toContain(pin);
    expect(bytes).not.toContain(qr.code);
    expect(bytes).not.toContain('dispatch-input-secret-4f1c9a');
    expect((await daemon.cli('audit', 'verify')).code).toBe(0);
  });

  it('records tokens create and revoke, and names a token as the actor of what it does remotely and of its refusals, never its secret', async () => {
    const base = await dirs.make('palyra-e2e-audit-tokens-');
    const daemon = await DaemonProcess.start(join(base, 'daemon'), ['--admin-listen', '127.0.0.1:0', '--quic-listen', 'off']);
    const address = (daemon.ready as { adminTls?: string }).adminTls ?? '';
    const admin = await daemon.json<{ token: string; id: string }>('tokens', 'create', '--name', 'ci-admin', '--role', 'admin', '--ttl', '1h');
    const viewer = await daemon.json<{ token: string; id: string }>('tokens', 'create', '--name', 'ci-viewer', '--role', 'viewer', '--ttl', '1h');
    const asAdmin = await remoteAdminClient(address, daemon.stateDir, admin.token);
    const asViewer = await remoteAdminClient(address, daemon.stateDir, viewer.token);
    try {
      const code = await asAdmin.unary<{ code: string }>('CreatePairingCode', { method: 'pin' });
      await expect(asViewer.unary('CreatePairingCode', { method: 'pin' })).rejects.toMatchObject({ code: 'PALYRA_E_FORBIDDEN' });
      expect((await daemon.cli('tokens', 'revoke', viewer.id)).code).toBe(0);

      const local = { kind: 'local', uid: process.getuid?.() ?? 0 };
      const tokens = await auditEntries(daemon, '--action', 'token.');
      expect(tokens.map((e) => [e.action, e.actor])).toEqual([
        ['token.create', local],
        ['token.create', local],
        ['token.revoke', local],
      ]);
      const minted = await auditEntries(daemon, '--actor', 'ci-admin');
      expect(minted).toHaveLength(1);
      expect(minted[0]).toMatchObject({ action: 'pairing.code.create', actor: { kind: 'token', tokenId: admin.id, tokenName: 'ci-admin' }, outcome: 'ok' });
      expect(minted[0]?.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(await auditEntries(daemon, '--actor', `token:${admin.id}`)).toEqual(minted);
      // auth.denied is not held back by the refusal (nothing was done): wait for it.
      const denied = await pollUntil(async () => (await auditEntries(daemon, '--action', 'auth.denied'))[0], { what: 'the auth.denied entry' });
      expect(denied).toMatchObject({ actor: { kind: 'token', tokenId: viewer.id, tokenName: 'ci-viewer' }, outcome: 'refused', errorCode: 'PALYRA_E_FORBIDDEN' });

      const bytes = await auditBytes(daemon.stateDir);
      for (const secret of [admin.token, viewer.token, admin.token.slice(-43), viewer.token.slice(-43), code.code]) expect(bytes).not.toContain(secret);
    } finally {
      asAdmin.close();
      asViewer.close();
    }
  });

  it('palyrad audit verify passes a real log, then names the entry a script edited, also after a restart', async () => {
    const base = await dirs.make('palyra-e2e-audit-verify-');
    const stateDir = join(base, 'daemon');
    const daemon = await DaemonProcess.start(stateDir);
    for (let i = 0; i < 4; i += 1) await daemon.mintPin();
    const intact = await daemon.cli('audit', 'verify');
    expect(intact.code, intact.stderr).toBe(0);
    expect(intact.stdout).toMatch(/^audit log intact: 4 entries in 1 files, last #4$/m);

    // A script rewrites entry 2's outcome, keeping the file's length.
    const file = join(stateDir, 'audit', 'audit.log');
    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines[1]).toContain('"outcome":"ok"');
    lines[1] = (lines[1] as string).replace('"outcome":"ok"', '"outcome":"OK"');
    await writeFile(file, lines.join('\n'));

    const tampered = await daemon.cli('audit', 'verify');
    const message = expectErrorLine(tampered, 'PALYRA_E_AUDIT_TAMPERED', 76);
    expect(message).toContain('entry 2 (audit.log line 2): edited: entry 2 (HMAC mismatch)');
    const json = await daemon.cli('audit', 'verify', '--json');
    expect(json.code).toBe(76);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, firstBadSeq: 2, firstBadFile: 'audit.log', firstBadLine: 2 });

    // Each verification was recorded (after the edited entry: the chain goes on).
    const verifications = await pollUntil(async () => {
      const found = (await auditEntries(daemon, '--action', 'audit.verify')).map((e) => e.outcome);
      return found.length === 3 ? found : undefined;
    }, { what: 'three audit.verify entries' });
    expect(verifications).toEqual(['ok', 'tampered', 'tampered']);

    // The edit stays found across a restart (the tail verifies, so the daemon resumes the chain).
    await daemon.stop();
    const restarted = await DaemonProcess.start(stateDir);
    expectErrorLine(await restarted.cli('audit', 'verify'), 'PALYRA_E_AUDIT_TAMPERED', 76);
  });

  it('palyrad audit verify names a log deleted under a running daemon, and one deleted while it was stopped', async () => {
    const base = await dirs.make('palyra-e2e-audit-wiped-');
    const stateDir = join(base, 'daemon');
    const auditDir = join(stateDir, 'audit');
    const daemon = await DaemonProcess.start(stateDir);
    await daemon.mintPin();
    await daemon.mintPin();
    // Someone who can write the state dir but not open the vault deletes every audit file.
    for (const name of await readdir(auditDir)) await rm(join(auditDir, name));
    const running = await daemon.cli('audit', 'verify');
    expect(expectErrorLine(running, 'PALYRA_E_AUDIT_TAMPERED', 76)).toContain('truncated: entries 1 to 2 were removed');
    await daemon.stop();

    // And again with the daemon stopped: nothing left at all, head.json included.
    await rm(auditDir, { recursive: true });
    const restarted = await DaemonProcess.start(stateDir);
    const stopped = await restarted.cli('audit', 'verify');
    expect(expectErrorLine(stopped, 'PALYRA_E_AUDIT_TAMPERED', 76)).toContain('chain break: at start the daemon found the audit log gone');
  });

  it('rotates by size (--audit-max-file-bytes) keeping the chain across files and a restart; nothing is deleted', async () => {
    const base = await dirs.make('palyra-e2e-audit-rotate-');
    const stateDir = join(base, 'daemon');
    const daemon = await DaemonProcess.start(stateDir, ['--audit-max-file-bytes', '65536']);
    const client = await ControlClient.connect(stateDir);
    try {
      // ~450 bytes an entry: 400 codes fill about three files.
      for (let i = 0; i < 400; i += 1) await client.createPairingCode({ method: 'qr' });
    } finally {
      client.close();
    }
    const rotated = (await readdir(join(stateDir, 'audit'))).filter((name) => /^audit-\d+-\d+\.log$/.test(name));
    expect(rotated.length).toBeGreaterThanOrEqual(2);
    const verified = await daemon.cli('audit', 'verify', '--json');
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, entries: 400, files: rotated.length + 1, lastSeq: 400 });
    await daemon.stop();
    const restarted = await DaemonProcess.start(stateDir, ['--audit-max-file-bytes', '65536']);
    await restarted.mintPin();
    const again = parseOneJson<{ ok: boolean; lastSeq: number }>(await restarted.cli('audit', 'verify', '--json'));
    expect(again).toMatchObject({ ok: true, lastSeq: 402 });
    const all = await auditEntries(restarted, '--action', 'pairing.code.create');
    expect(all).toHaveLength(401);
    expect(all.map((e) => e.seq)).toEqual([...Array.from({ length: 400 }, (_, i) => i + 1), 402]);
  });
});
