/**
 * AuditLog.list (ListAudit, `palyrad audit`) on files edited as someone without the key would:
 * a line the daemon did not write is never shown as an entry, and junk lines do not break the
 * listing for everyone.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditLog } from '../../src/audit/AuditLog.js';
import { AuditKit, appendMany } from './auditTestKit.js';

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
