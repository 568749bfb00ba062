/**
 * AuditLog.list (ListAudit, `palyrad audit`) on files edited as someone without the key would:
 * a line the daemon did not write is never shown as an entry, and junk lines do not break the
 * listing for everyone.
 */
import { appendFile, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditLog } from '../../src/audit/AuditLog.js';
import { AuditKit, appendMany, record } from './auditTestKit.js';

let kit: AuditKit;
let log: AuditLog;
beforeEach(async () => {
  kit = await AuditKit.create();
  log = await kit.open();
  await appendMany(log, 3);
});
afterEach(async () => {
  await log.stop();
  await kit.remove();
});

describe('AuditLog.list', () => {
  it('lists only entries that verify under the key: a forged line framing a token is not shown', async () => {
    const [genuine] = await kit.lines();
    const forged = (genuine as string)
      .replace('"seq":1,', '"seq":4,')
      .replace('"action":"dispatch"', '"action":"token.revoke"')
      .replace('{"kind":"local","uid":1000}', '{"kind":"token","tokenId":"01J9Z3B4C5D6E7F8G9H0JKMNPQ","tokenName":"alice\\u001b]0;owned\\u0007"}');
    await appendFile(join(kit.dir, 'audit.log'), `${forged}\n`);
    const page = await log.list({});
    expect(page.entries.map((entry) => entry.seq)).toEqual([1, 2, 3]);
    expect((await log.list({ actor: 'alice\u001b]0;owned\u0007' })).entries).toEqual([]);
    expect((await log.list({ action: 'token.' })).entries).toEqual([]);
  });

  it('junk lines (null, an entry without action or actor) do not break a filtered listing', async () => {
    await appendFile(join(kit.dir, 'audit.log'), 'null\n{"seq":5}\n[1]\n');
    for (const query of [{ action: 'dispatch.' }, { actor: 'ci' }, { node: 'node-1' }, {}]) {
      const page = await log.list(query);
      expect(page.entries.every((entry) => entry.seq <= 3)).toBe(true);
    }
  });
});

describe('a rotated file renamed to promise fewer entries than it holds', () => {
  it('is reported by verify, and paging through the list still shows every entry', async () => {
    // A log of its own, with a rotation: 2500 entries in one batch go to one file.
    await log.stop();
    await kit.remove();
    kit = await AuditKit.create();
    log = await kit.open({ maxFileBytes: 65_536 });
    await Promise.all(Array.from({ length: 2500 }, (_, i) => log.append(record(i))));
    await log.append(record(9999));
    const rotated = (await readdir(kit.dir)).filter((name) => /^audit-1-\d+\.log$/.test(name));
    expect(rotated).toHaveLength(1);
    const [name] = rotated as [string];
    await rename(join(kit.dir, name), join(kit.dir, 'audit-1-1.log'));
    const report = await log.verify();
    expect(report).toMatchObject({ ok: false, firstBadFile: 'audit-1-1.log' });
    const seqs: number[] = [];
    let afterSeq = 0;
    for (;;) {
      const page = await log.list({ afterSeq, limit: 1000 });
      seqs.push(...page.entries.map((entry) => entry.seq));
      if (!page.more) break;
      afterSeq = page.lastSeq;
    }
    expect(seqs).toEqual(Array.from({ length: 2501 }, (_, i) => i + 1));
  });
});
