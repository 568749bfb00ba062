/**
 * DispatchJournal's commits on a real SQLite store in a temp dir: writes asked for while a
 * commit (and its sync) is under way share the next transaction instead of queueing one
 * transaction per turn of the event loop behind the disk; a dispatch's row and its `sent`
 * share one transaction when its input check ends in time. Transactions are counted on the
 * real store (its own method, wrapped); nothing is timed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DispatchJournal } from '../../src/dispatch/index.js';
import { openStore, type SqlStore } from '../../src/store/index.js';
import type { DispatchRecord } from '../../src/store/types.js';

const DEVICE = '01JA0000000000000000000AAA';

let dir: string;
let store: SqlStore;
let transactions: number;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'palyra-group-commit-'));
  store = await openStore({ stateDir: dir });
  transactions = 0;
  const real = store.transaction.bind(store);
  store.transaction = ((body, options) => {
    transactions += 1;
    return real(body, options);
  }) as SqlStore['transaction'];
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function row(n: number): DispatchRecord {
  const now = Date.now();
  return {
    id: `01JB${String(n).padStart(22, '0')}`,
    deviceId: DEVICE,
    capability: 'bench.noop',
    caller: 'local',
    idempotencyKey: null,
    inputHash: '',
    inputJson: '{}',
    state: 'queued',
    createdAt: now,
    deadlineAt: now + 60_000,
    sentAt: null,
    finishedAt: null,
    resultJson: null,
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('DispatchJournal commits', () => {
  it('gathers the writes asked for while a commit is under way into the next one, not one transaction per turn', async () => {
    const journal = new DispatchJournal(store);
    const accepted: Promise<void>[] = [];
    const turns = 20;
    for (let i = 0; i < turns; i += 1) {
      accepted.push(journal.accept(row(i)));
      await nextTurn();
    }
    await Promise.all(accepted);
    // Before: a transaction per turn (20), each waiting for the one before it.
    expect(transactions).toBeLessThan(turns);
    const rows = await Promise.all(Array.from({ length: turns }, (_, i) => journal.get(row(i).id)));
    expect(rows.every((r) => r?.state === 'queued')).toBe(true);
  });

  it("writes a dispatch's row and its `sent` in one transaction when its check ends before the commit", async () => {
    const journal = new DispatchJournal(store);
    const r = row(1);
    const accepted = journal.accept(r);
    let sent: Promise<void> | undefined;
    // The coordinator holds the batch for the input check, whose success sends the dispatch.
    journal.hold(
      Promise.resolve().then(() => {
        sent = journal.sent(r.id, r.createdAt + 1);
      }),
    );
    await accepted;
    await sent;
    expect(transactions).toBe(1);
    expect(await journal.get(r.id)).toMatchObject({ state: 'sent', sentAt: r.createdAt + 1 });
  });

  it('commits what waits on a hold that never ends (bounded), and flush() while holding commits once', async () => {
    const journal = new DispatchJournal(store);
    const r = row(2);
    const accepted = journal.accept(r);
    journal.hold(new Promise(() => undefined));
    await accepted;
    expect(await journal.get(r.id)).toMatchObject({ state: 'queued' });
    const s = row(3);
    const second = journal.accept(s);
    journal.hold(new Promise(() => undefined));
    await nextTurn();
    await journal.flush();
    await second;
    await nextTurn();
    expect(await journal.get(s.id)).toMatchObject({ state: 'queued' });
    expect(transactions).toBe(2);
  });
});
