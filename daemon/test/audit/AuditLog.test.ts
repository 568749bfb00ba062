/**
 * AuditLog on real files: the HMAC chain, group commit, rotation keeping the chain, a restart
 * resuming it, a torn last line set aside, a tail that does not verify (a chain break that
 * does not stop the daemon), bounds and text sanitizing, file modes.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { appendFile, readFile, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_PREV, MAX_AUDIT_DETAILS, MAX_AUDIT_STRING, canonicalJson } from '../../src/audit/entryFormat.js';
import type { AuditEntry } from '../../src/audit/types.js';
import { verifyAuditLog } from '../../src/audit/verifyAuditLog.js';
import { AuditKit, appendMany, record } from './auditTestKit.js';

let kit: AuditKit;
beforeEach(async () => {
  kit = await AuditKit.create();
});
afterEach(async () => {
  await kit.remove();
});

function expectedHash(key: Uint8Array, entry: AuditEntry): string {
  const { hash: _hash, ...rest } = entry;
  return createHmac('sha256', key).update(entry.prev).update(canonicalJson(rest)).digest('hex');
}

describe('AuditLog: the chain', () => {
  it('writes seq 1, 2, ... each chained by HMAC-SHA-256(key, prev || canonical JSON) in 0600 files in a 0700 dir', async () => {
    const log = await kit.open();
    await appendMany(log, 3);
    await log.stop();
    const entries = await kit.entries();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[0]?.prev).toBe(GENESIS_PREV);
    for (const [i, entry] of entries.entries()) {
      expect(entry.hash).toBe(expectedHash(kit.key, entry));
      if (i > 0) expect(entry.prev).toBe(entries[i - 1]?.hash);
    }
    // Fixed key order: the line is the canonical JSON plus the hash, nothing else.
    const [first] = await kit.lines();
    expect(first?.startsWith('{"seq":1,"at":"')).toBe(true);
    expect(first?.endsWith(`"prev":"${GENESIS_PREV}","hash":"${entries[0]?.hash}"}`)).toBe(true);
    expect((await stat(kit.dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(kit.dir, 'audit.log'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(kit.dir, 'head.json'))).mode & 0o777).toBe(0o600);
  });

  it('group commit: entries appended together share one write and one fdatasync, and each resolves once durable', async () => {
    const log = await kit.open();
    const before = log.syncs;
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(record(i + 1))));
    const syncs = log.syncs - before;
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThan(10);
    expect(log.lastSeq).toBe(200);
    await log.stop();
    expect((await kit.entries()).map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('a restart resumes the chain after the last entry', async () => {
    const first = await kit.open();
    await appendMany(first, 3);
    await first.stop();
    const second = await kit.open();
    await second.append(record(4));
    await second.stop();
    const entries = await kit.entries();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(entries[3]?.prev).toBe(entries[2]?.hash);
    expect((await (await kit.open()).verify()).ok).toBe(true);
  });

  it('bounds records and escapes node-supplied text', async () => {
    const log = await kit.open();
    const details: Record<string, string> = {};
    for (let i = 0; i < MAX_AUDIT_DETAILS + 5; i += 1) details[`k${String(i).padStart(2, '0')}`] = 'v';
    details['1'] = 'integer-like keys are dropped';
    await log.append(record(1, { node: `evil\u001b[2Jname\u202e${'x'.repeat(1000)}`, details }));
    await log.stop();
    const [entry] = await kit.entries();
    expect(entry?.node).not.toContain('\u001b');
    expect(entry?.node).not.toContain('\u202e');
    expect(entry?.node).toContain('\\u{1b}');
    expect(entry?.node?.length).toBeLessThanOrEqual(MAX_AUDIT_STRING);
    expect(Object.keys(entry?.details ?? {})).toHaveLength(MAX_AUDIT_DETAILS + 1);
    expect(entry?.details?.detailsDropped).toBe(6);
  });
});

describe('AuditLog: rotation', () => {
  it('rotates audit.log by size into audit-<first>-<last>.log, the chain continuing across files', async () => {
    const log = await kit.open({ maxFileBytes: 2000 });
    await appendMany(log, 30);
    await log.stop();
    const names = (await readdir(kit.dir)).filter((name) => name.endsWith('.log')).sort((a, b) => Number(/\d+/.exec(a)?.[0] ?? 1e9) - Number(/\d+/.exec(b)?.[0] ?? 1e9));
    expect(names.length).toBeGreaterThan(2);
    const all: AuditEntry[] = [];
    for (const name of names) {
      const entries = await kit.entries(name);
      const match = /^audit-(\d+)-(\d+)\.log$/.exec(name);
      if (match !== null) expect([entries[0]?.seq, entries.at(-1)?.seq]).toEqual([Number(match[1]), Number(match[2])]);
      expect((await stat(join(kit.dir, name))).size).toBeLessThanOrEqual(2000);
      all.push(...entries);
    }
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    for (let i = 1; i < all.length; i += 1) expect(all[i]?.prev).toBe(all[i - 1]?.hash);
    const reopened = await kit.open({ maxFileBytes: 2000 });
    await reopened.append(record(31));
    expect(await reopened.verify()).toMatchObject({ ok: true, entries: 31, lastSeq: 31 });
    await reopened.stop();
  });
});

describe('AuditLog: verify while entries are written', () => {
  it('passes while appends, anchors and rotations run at the same time (it reads only what was durable)', async () => {
    const log = await kit.open({ maxFileBytes: 8192, anchorIntervalMs: 1 });
    let writing = true;
    const writers = Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < 150; i += 1) await log.append(record(w * 1000 + i));
      }),
    ).finally(() => {
      writing = false;
    });
    const reports = [];
    while (writing) reports.push(await log.verify());
    await writers;
    reports.push(await log.verify());
    expect(reports.length).toBeGreaterThan(1);
    for (const report of reports) expect(report, report.problem).toMatchObject({ ok: true });
    expect(reports.at(-1)).toMatchObject({ entries: 1200, lastSeq: 1200 });
    await log.stop();
  });
});

describe('AuditLog: start after a crash or tampering', () => {
  it('moves a torn last line (a crash mid-write) aside into torn-<seq>.partial and records audit.recovered', async () => {
    const log = await kit.open();
    await appendMany(log, 3);
    await log.stop();
    const torn = '{"seq":4,"at":"2026-12-07T00:00:00.000Z","action":"dispa';
    await appendFile(join(kit.dir, 'audit.log'), torn);
    const reopened = await kit.open();
    expect(await readFile(join(kit.dir, 'torn-4.partial'), 'utf8')).toBe(torn);
    const entries = await kit.entries();
    expect(entries.map((e) => [e.seq, e.action])).toEqual([
      [1, 'dispatch'],
      [2, 'dispatch'],
      [3, 'dispatch'],
      [4, 'audit.recovered'],
    ]);
    expect(entries[3]?.details).toMatchObject({ tornBytes: torn.length, movedTo: 'torn-4.partial' });
    expect((await reopened.verify()).ok).toBe(true);
    await reopened.stop();
  });

  it('a last entry that does not verify does not stop the start: a new file records the break, and verify still reports the edit', async () => {
    const log = await kit.open();
    await appendMany(log, 4);
    await log.stop();
    const lines = await kit.lines();
    lines[3] = (lines[3] as string).replace('"outcome":"succeeded"', '"outcome":"failed"');
    await kit.writeLines(lines);
    const reopened = await kit.open();
    await reopened.append(record(99));
    const [breakEntry, next] = await kit.entries();
    expect(breakEntry).toMatchObject({ seq: 4, action: 'audit.chain_break', actor: { kind: 'daemon' } });
    expect(breakEntry?.details).toMatchObject({ lastGoodSeq: 3, file: 'audit-1-3.log' });
    expect(next?.seq).toBe(5);
    expect(await readdir(kit.dir)).toContain('audit-1-3.log');
    expect(await reopened.verify()).toMatchObject({ ok: false, firstBadSeq: 4, firstBadFile: 'audit-1-3.log', firstBadLine: 4 });
    expect((await reopened.verify()).problem).toMatch(/^edited: entry 4/);
    await reopened.stop();
  });

  it('never replaces an existing file when it sets a broken audit.log aside', async () => {
    const log = await kit.open();
    await appendMany(log, 4);
    await log.stop();
    const lines = await kit.lines();
    lines[3] = (lines[3] as string).replace('"outcome":"succeeded"', '"outcome":"failed"');
    await kit.writeLines(lines);
    await writeFile(join(kit.dir, 'audit-1-3.log'), 'older evidence\n', { mode: 0o600 });
    const reopened = await kit.open();
    await reopened.stop();
    expect(await readFile(join(kit.dir, 'audit-1-3.log'), 'utf8')).toBe('older evidence\n');
    const aside = (await readdir(kit.dir)).filter((name) => /^audit-1-3-broken-\d+\.log$/.test(name));
    expect(aside).toHaveLength(1);
    expect((await kit.lines(aside[0])).length).toBe(4);
  });

  it('entries cut off the end while stopped are recorded at start (the anchor names a later entry)', async () => {
    const log = await kit.open();
    await appendMany(log, 5);
    await log.stop();
    await kit.writeLines((await kit.lines()).slice(0, 3));
    const reopened = await kit.open();
    const entries = await kit.entries();
    expect(entries[3]).toMatchObject({ seq: 4, action: 'audit.chain_break', details: { anchorSeq: 5, lastSeq: 3 } });
    const report = await reopened.verify();
    expect(report).toMatchObject({ ok: false, firstBadSeq: 4 });
    expect(report.problem).toMatch(/^chain break/);
    await reopened.stop();
  });

  it('refuses appends after stop', async () => {
    const log = await kit.open();
    await log.stop();
    await expect(log.append(record(1))).rejects.toMatchObject({ code: 'PALYRA_E_STATE_IO' });
  });
});

describe('AuditLog: verify against what the running daemon wrote', () => {
  it('names entries removed from under a running log, even with head.json deleted too', async () => {
    const log = await kit.open({ anchorIntervalMs: 3_600_000 });
    await appendMany(log, 6);
    // An attacker who can write the audit dir deletes every file while the daemon runs.
    for (const name of await readdir(kit.dir)) await rm(join(kit.dir, name));
    const report = await log.verify();
    expect(report).toMatchObject({ ok: false, firstBadSeq: 1 });
    expect(report.problem).toMatch(/^truncated: entries 1 to 6/);
    await log.stop();
  });

  it('names entries cut off the end of a running log when head.json is put back from before them', async () => {
    const log = await kit.open({ anchorIntervalMs: 3_600_000 });
    await appendMany(log, 3);
    const oldAnchor = await readFile(join(kit.dir, 'head.json'));
    await appendMany(log, 3);
    await kit.writeLines((await kit.lines()).slice(0, 3));
    await writeFile(join(kit.dir, 'head.json'), oldAnchor);
    const report = await log.verify();
    expect(report).toMatchObject({ ok: false, firstBadSeq: 4 });
    expect(report.problem).toMatch(/^truncated: entries 4 to 6/);
    await log.stop();
  });
});

describe('AuditLog: tampering after a chain break', () => {
  it('a missing head.json (a chain break at start) does not hide later edits from verify', async () => {
    const log = await kit.open();
    await appendMany(log, 4);
    await log.stop();
    await rm(join(kit.dir, 'head.json'));
    const reopened = await kit.open();
    await appendMany(reopened, 5, 6);
    const before = await reopened.verify();
    expect(before).toMatchObject({ ok: false, firstBadSeq: 5 });
    expect(before.problem).toMatch(/^chain break/);
    // Later, entry 8 is edited: verify must not keep giving the very same answer.
    await reopened.stop();
    const lines = await kit.lines();
    lines[7] = (lines[7] as string).replace('"outcome":"succeeded"', '"outcome":"failed"');
    await kit.writeLines(lines);
    const after = await verifyAuditLog(kit.stateDir, kit.key);
    expect(after).toMatchObject({ ok: false, firstBadSeq: 5 });
    expect(after.problem).toMatch(/^chain break/);
    expect(after.problem).toMatch(/after the chain break at entry 5: edited: entry 8 \(HMAC mismatch\) \(audit\.log line 8\)$/);
  });

  it('an edited tail set aside at start does not hide a later removal from verify', async () => {
    const log = await kit.open();
    await appendMany(log, 4);
    await log.stop();
    const lines = await kit.lines();
    lines[3] = (lines[3] as string).replace('"outcome":"succeeded"', '"outcome":"failed"');
    await kit.writeLines(lines);
    const reopened = await kit.open();
    await appendMany(reopened, 4, 10);
    await reopened.stop();
    // audit.log: two chain breaks (seq 4: the edited tail; seq 5: head.json named entry 4,
    // now set aside), then 6..9. Entry 6 is deleted.
    const current = await kit.lines();
    current.splice(2, 1);
    await kit.writeLines(current);
    const report = await verifyAuditLog(kit.stateDir, kit.key);
    expect(report).toMatchObject({ ok: false, firstBadSeq: 4, firstBadFile: 'audit-1-3.log', firstBadLine: 4 });
    expect(report.problem).toMatch(/^edited: entry 4/);
    expect(report.problem).toMatch(/after the chain break at entry 5: removed: entry 6 is missing/);
  });
});

describe('AuditLog: the whole log deleted while the daemon was stopped', () => {
  it('records a chain break at start when no file and no head.json are left but the key is not new', async () => {
    const log = await kit.open();
    await appendMany(log, 5);
    await log.stop();
    // Everything in audit/ goes: without a trace, verify would call the new, empty log intact.
    for (const name of await readdir(kit.dir)) await rm(join(kit.dir, name));
    const reopened = await kit.open({ keyIsNew: false });
    const [first] = await kit.entries();
    expect(first).toMatchObject({ seq: 1, action: 'audit.chain_break', actor: { kind: 'daemon' } });
    const report = await reopened.verify();
    expect(report).toMatchObject({ ok: false, firstBadSeq: 1 });
    expect(report.problem).toMatch(/^chain break: at start the daemon found the audit log gone/);
    await reopened.stop();
  });

  it('a first start (a new key) begins an intact log', async () => {
    const log = await kit.open({ keyIsNew: true });
    await appendMany(log, 2);
    expect(await log.verify()).toMatchObject({ ok: true, entries: 2 });
    await log.stop();
  });
});

describe('AuditLog: audit.log removed or renamed while the daemon runs', () => {
  it('later entries go to a new audit.log that says so, not to the file nobody can see', async () => {
    const log = await kit.open({ anchorIntervalMs: 3_600_000 });
    await appendMany(log, 3);
    await rm(join(kit.dir, 'audit.log'));
    await appendMany(log, 2, 4);
    const entries = await kit.entries();
    expect(entries.map((entry) => [entry.seq, entry.action])).toEqual([
      [4, 'audit.chain_break'],
      [5, 'dispatch'],
      [6, 'dispatch'],
    ]);
    const report = await log.verify();
    expect(report).toMatchObject({ ok: false, firstBadSeq: 1 });
    expect(report.problem).toMatch(/^removed: entries 1 to 3 are missing/);
    await log.stop();
  });

  it('a renamed audit.log is not written to any more', async () => {
    const log = await kit.open();
    await appendMany(log, 2);
    await rename(join(kit.dir, 'audit.log'), join(kit.dir, 'elsewhere.txt'));
    await appendMany(log, 1, 3);
    expect((await kit.lines('elsewhere.txt')).length).toBe(2);
    expect((await kit.entries()).map((entry) => entry.seq)).toEqual([3, 4]);
    await log.stop();
  });
});

describe('AuditLog: files in audit/ that are not regular files', () => {
  it('verify of a running log reports a FIFO named like a rotated file instead of hanging on it (and rotation goes on)', async () => {
    const log = await kit.open({ maxFileBytes: 2000 });
    await appendMany(log, 3);
    execFileSync('mkfifo', [join(kit.dir, 'audit-4-4.log')]);
    const report = await log.verify();
    expect(report).toMatchObject({ ok: false, firstBadFile: 'audit-4-4.log' });
    expect(report.problem).toMatch(/not a regular file/);
    await appendMany(log, 20, 4);
    expect((await readdir(kit.dir)).filter((name) => /^audit-\d+-\d+\.log$/.test(name)).length).toBeGreaterThan(1);
    await log.stop();
  });

  it('a FIFO put in place of head.json is reported by verify (and at the next start) instead of hanging both', async () => {
    const log = await kit.open({ anchorIntervalMs: 3_600_000 });
    await appendMany(log, 3);
    await rm(join(kit.dir, 'head.json'));
    execFileSync('mkfifo', [join(kit.dir, 'head.json')]);
    const report = await log.verify();
    expect(report).toMatchObject({ ok: false, firstBadFile: 'head.json' });
    expect(report.problem).toMatch(/^anchor: .*not a regular file/);
    await log.stop();
    // stop wrote a new head.json over the FIFO; put one back for the start.
    await rm(join(kit.dir, 'head.json'));
    execFileSync('mkfifo', [join(kit.dir, 'head.json')]);
    const reopened = await kit.open();
    expect((await kit.entries()).at(-1)).toMatchObject({ action: 'audit.chain_break' });
    await reopened.stop();
  });

  it('a start with a rotated file that is a symbolic link to /dev/zero fails with a clear error instead of reading forever', async () => {
    const log = await kit.open();
    await appendMany(log, 3);
    await log.stop();
    await rename(join(kit.dir, 'audit.log'), join(kit.dir, 'audit-1-3.log'));
    await rm(join(kit.dir, 'audit-1-3.log'));
    await symlink('/dev/zero', join(kit.dir, 'audit-1-3.log'));
    await expect(kit.open()).rejects.toMatchObject({ code: 'PALYRA_E_STATE_IO', message: expect.stringMatching(/audit-1-3\.log/) });
  });

  it('list refuses such a file with PALYRA_E_STATE_IO instead of hanging on it', async () => {
    const log = await kit.open();
    await appendMany(log, 3);
    await symlink('/dev/zero', join(kit.dir, 'audit-4-9.log'));
    execFileSync('mkfifo', [join(kit.dir, 'audit-10-10.log')]);
    await expect(log.list({})).rejects.toMatchObject({ code: 'PALYRA_E_STATE_IO' });
    await log.stop();
  });
});

describe('AuditLog: rotation while verify walks a long log', () => {
  it('audit.log still rotates at its size while a verify runs, and that verify passes', async () => {
    const max = 65536;
    const log = await kit.open({ maxFileBytes: max, anchorIntervalMs: 3_600_000 });
    // A log long enough that walking it takes far longer than the writes below.
    for (let i = 0; i < 10; i += 1) await Promise.all(Array.from({ length: 4000 }, (_, j) => log.append(record(i * 4000 + j))));
    // A batch bigger than a file goes into a file of its own: one more entry starts a small one.
    await log.append(record(0));
    const rotatedBefore = (await readdir(kit.dir)).filter((name) => /^audit-\d+-\d+\.log$/.test(name)).length;
    let walked = false;
    const walking = log.verify().finally(() => {
      walked = true;
    });
    // Rounds of about 50 KB each until audit.log had to rotate: before, no rotation could
    // happen until the walk ended. A rotation counts only if the walk still ran after it.
    const rotatedNow = async (): Promise<number> => (await readdir(kit.dir)).filter((name) => /^audit-\d+-\d+\.log$/.test(name)).length;
    let rounds = 0;
    let rotatedWhileWalking = false;
    while (!walked && !rotatedWhileWalking) {
      await Promise.all(Array.from({ length: 150 }, (_, j) => log.append(record(100_000 + rounds * 1000 + j))));
      rounds += 1;
      const rotated = await rotatedNow();
      if (rotated > rotatedBefore && !walked) rotatedWhileWalking = true;
    }
    expect(rotatedWhileWalking, `no rotation in ${rounds} rounds of appends while the walk ran`).toBe(true);
    expect((await stat(join(kit.dir, 'audit.log'))).size).toBeLessThanOrEqual(max);
    const report = await walking;
    expect(report, report.problem).toMatchObject({ ok: true });
    expect(report.entries).toBeGreaterThanOrEqual(40_001);
    const total = 40_001 + rounds * 150;
    expect(await log.verify()).toMatchObject({ ok: true, entries: total, lastSeq: total });
    await log.stop();
  }, 60_000);
});
