/**
 * verifyAuditLog on files edited as someone without the key would: each kind of tampering is
 * reported, naming the FIRST bad entry, its file and line.
 */
import { readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../../src/audit/verifyAuditLog.js';
import { AuditKit, appendMany } from './auditTestKit.js';

let kit: AuditKit;
beforeEach(async () => {
  kit = await AuditKit.create();
  const log = await kit.open();
  await appendMany(log, 8);
  await log.stop();
});
afterEach(async () => {
  await kit.remove();
});

const verify = () => verifyAuditLog(kit.stateDir, kit.key);

describe('verifyAuditLog', () => {
  it('passes an intact log', async () => {
    expect(await verify()).toMatchObject({ ok: true, entries: 8, files: 1, firstBadSeq: 0, problem: '', lastSeq: 8 });
  });

  it('names an edited entry (HMAC mismatch)', async () => {
    const lines = await kit.lines();
    lines[4] = (lines[4] as string).replace('"node":"node-5"', '"node":"node-X"');
    await kit.writeLines(lines);
    const report = await verify();
    expect(report).toMatchObject({ ok: false, firstBadSeq: 5, firstBadFile: 'audit.log', firstBadLine: 5, entries: 4 });
    expect(report.problem).toBe('edited: entry 5 (HMAC mismatch)');
  });

  it('names an entry with a field added (not canonical) as edited', async () => {
    const lines = await kit.lines();
    lines[2] = (lines[2] as string).replace('{"seq":3,', '{"seq":3,"note":"x",');
    await kit.writeLines(lines);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 3, firstBadLine: 3 });
  });

  it('names a deleted entry (a seq gap)', async () => {
    const lines = await kit.lines();
    lines.splice(3, 1);
    await kit.writeLines(lines);
    const report = await verify();
    expect(report).toMatchObject({ ok: false, firstBadSeq: 4, firstBadLine: 4 });
    expect(report.problem).toBe('removed: entry 4 is missing before line 4 of audit.log');
  });

  it('names swapped entries as reordered', async () => {
    const lines = await kit.lines();
    [lines[5], lines[6]] = [lines[6] as string, lines[5] as string];
    await kit.writeLines(lines);
    const report = await verify();
    expect(report).toMatchObject({ ok: false, firstBadSeq: 7, firstBadLine: 6 });
    expect(report.problem).toBe('reordered: entry 7 comes before entry 6');
  });

  it('names a truncated file (a partial last line)', async () => {
    const path = join(kit.dir, 'audit.log');
    const size = (await readFile(path)).length;
    await truncate(path, size - 40);
    const report = await verify();
    expect(report).toMatchObject({ ok: false, firstBadSeq: 8, firstBadLine: 8 });
    expect(report.problem).toMatch(/^truncated: line 8 of audit.log is cut short/);
  });

  it('names entries cut off the end before the anchor', async () => {
    await kit.writeLines((await kit.lines()).slice(0, 6));
    const report = await verify();
    expect(report).toMatchObject({ ok: false, firstBadSeq: 7 });
    expect(report.problem).toBe('truncated: entries 7 to 8 were removed from the end (the anchor names entry 8)');
  });

  it('names a deleted first entry', async () => {
    await kit.writeLines((await kit.lines()).slice(1));
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: 1, firstBadLine: 1 });
  });

  it('reports an edited or missing anchor', async () => {
    const anchor = join(kit.dir, 'head.json');
    const body = JSON.parse(await readFile(anchor, 'utf8')) as { seq: number };
    await writeFile(anchor, JSON.stringify({ ...body, seq: 3 }), { mode: 0o600 });
    expect((await verify()).problem).toMatch(/^anchor: head.json was edited/);
    await rm(anchor);
    expect((await verify()).problem).toMatch(/^anchor: head.json is missing/);
  });

  it('reports a log written under another key as edited from its first entry', async () => {
    const report = await verifyAuditLog(kit.stateDir, Buffer.alloc(32, 7));
    expect(report).toMatchObject({ ok: false, firstBadSeq: 1 });
  });
});

describe('verifyAuditLog across rotated files', () => {
  it('names a rotated file cut short at its end', async () => {
    const rotated = await AuditKit.create();
    try {
      const log = await rotated.open({ maxFileBytes: 1500 });
      await appendMany(log, 20);
      await log.stop();
      const rotatedNames = (await readdir(rotated.dir)).filter((n) => n.startsWith('audit-'));
      const name = rotatedNames.sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]))[0] as string;
      const lines = await rotated.lines(name);
      await rotated.writeLines(lines.slice(0, -1), name);
      const report = await verifyAuditLog(rotated.stateDir, rotated.key);
      const lastSeq = lines.length;
      expect(report).toMatchObject({ ok: false, firstBadSeq: lastSeq, firstBadFile: name });
      expect(report.problem).toMatch(/^truncated: /);
    } finally {
      await rotated.remove();
    }
  });
});
