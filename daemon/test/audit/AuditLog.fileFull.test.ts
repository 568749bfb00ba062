/**
 * A write that fails for real: the log's process runs under a file-size limit (prlimit
 * --fsize, RLIMIT_FSIZE; Node ignores SIGXFSZ, so the write gets EFBIG after a short write),
 * as when the disk fills. The failed batch is rejected with PALYRA_E_STATE_IO, the file is cut
 * back to its last durable byte, and every acknowledged entry, and only those, verifies.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../../src/audit/verifyAuditLog.js';

const AUDIT_LOG_JS = fileURLToPath(new URL('../../dist/audit/AuditLog.js', import.meta.url));
const HAS_PRLIMIT = process.platform === 'linux' && spawnSync('prlimit', ['--version']).status === 0;

const CHILD = `
const { AuditLog } = await import(process.env.AUDIT_LOG_JS);
const log = await AuditLog.open({ stateDir: process.env.STATE_DIR, key: Buffer.from(process.env.KEY, 'hex') });
let acked = 0;
let failure;
for (let i = 0; i < 1000 && failure === undefined; i += 1) {
  try {
    await log.append({ action: 'dispatch', actor: { kind: 'daemon' }, outcome: 'succeeded', details: { pad: 'x'.repeat(200), i } });
    acked += 1;
  } catch (error) {
    failure = { code: error.code, message: error.message };
  }
}
// The log goes on after a failure: a short entry is written if it still fits under the limit.
let after;
try {
  await log.append({ action: 'audit.verify', actor: { kind: 'daemon' }, outcome: 'ok' });
  after = 'ok';
} catch (error) {
  after = error.code;
}
await log.stop();
process.stdout.write(JSON.stringify({ acked, failure, after, lastSeq: log.lastSeq }));
`;

describe.skipIf(!HAS_PRLIMIT)('AuditLog when a write fails (file-size limit)', () => {
  it('rejects the batch with PALYRA_E_STATE_IO, cuts the file back, and keeps exactly the acknowledged entries', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'palyra-audit-full-'));
    try {
      const key = randomBytes(32);
      const run = spawnSync('prlimit', ['--fsize=20000', process.execPath, '--input-type=module', '-e', CHILD], {
        env: { ...process.env, AUDIT_LOG_JS, STATE_DIR: stateDir, KEY: key.toString('hex') },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout) as { acked: number; failure?: { code: string; message: string }; after: string; lastSeq: number };
      expect(out.failure?.code).toBe('PALYRA_E_STATE_IO');
      expect(out.failure?.message).toContain('audit entry is not recorded');
      expect(out.acked).toBeGreaterThan(10);
      expect(['ok', 'PALYRA_E_STATE_IO']).toContain(out.after);
      const written = out.acked + (out.after === 'ok' ? 1 : 0);
      expect(out.lastSeq).toBe(written);
      const text = await readFile(join(stateDir, 'audit', 'audit.log'), 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      expect(await verifyAuditLog(stateDir, key)).toMatchObject({ ok: true, entries: written, lastSeq: written });
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
