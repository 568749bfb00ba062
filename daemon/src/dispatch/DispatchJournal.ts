import { createHash } from 'node:crypto';
import { isValidDispatchId } from '@palyra/shared/ids';
import type { DispatchListQuery, DispatchRecord, JournalDispatchState, Repositories, Store } from '../store/types.js';
import type { DispatchResult } from './types.js';

/** Longest result JSON kept in a journal row; the live stream still carries the whole output. */
export const MAX_JOURNAL_RESULT_BYTES = 64 * 1024;

/** A result's output or error beyond MAX_JOURNAL_RESULT_BYTES: the row says so instead. */
export interface TruncatedResult extends Omit<DispatchResult, 'output'> {
  output: null;
  /** The result's output (or error) was larger than the journal keeps. */
  truncated: true;
  /** How large the output JSON was. */
  outputBytes: number;
}

/**
 * How long finished dispatches are kept (by age and count) and how long an idempotency key
 * stays answerable whatever the count. See docs/cli.md (`palyrad dispatches`).
 */
export interface JournalRetention {
  maxAgeMs: number;
  maxFinished: number;
  idempotencyWindowMs: number;
}

export const DEFAULT_JOURNAL_RETENTION: JournalRetention = {
  maxAgeMs: 7 * 24 * 60 * 60_000,
  maxFinished: 100_000,
  idempotencyWindowMs: 24 * 60 * 60_000,
};

/**
 * Writes not needed before anything is sent (running, finished) wait this long for company:
 * at one dispatch at a time, a result's write then shares the next accept's transaction.
 */
const LAZY_FLUSH_MS = 20;

/**
 * Longest an urgent batch waits for the input checks of the dispatches it accepts (hold()):
 * a check done by then puts the dispatch's `sent` in the same commit as its row.
 */
const HOLD_MAX_MS = 5;

type Op = (repos: Repositories) => Promise<void>;

interface Batch {
  readonly ops: Op[];
  /** Lazy `running` writes by dispatch id: dropped when the same batch finishes that dispatch. */
  readonly running: Map<string, number>;
  /**
   * Rows this batch inserts, by id: a `sent` or a finish of the same dispatch in the same
   * batch changes the row to insert instead of adding a statement (one per dispatch, not two).
   */
  readonly inserts: Map<string, DispatchRecord>;
  readonly done: Promise<void>;
  /** Something waits for this batch (accept, sent): it commits as soon as it can. */
  urgent: boolean;
  /** Handed to the store (by its turn, by flush()): never committed twice. */
  closed: boolean;
  /** Work that may add to this batch soon (input checks): waited for, briefly, before committing. */
  readonly holds: Promise<unknown>[];
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The dispatch journal: every accepted dispatch's row in the store, written ahead of what the
 * daemon tells anyone. Writes are coalesced: everything asked for in one turn of the event
 * loop goes into one transaction (one commit, one fsync), and batches commit in order, so a
 * dispatch's `sent` never lands before its insert.
 *
 * - accept() and sent() resolve once committed: the caller answers `accepted` or sends to the
 *   node only then (write-ahead: a crash can leave a row `sent` that never went out, never
 *   the other way round).
 * - running() and finish() are lazy: a crash before they commit leaves the row `sent`, which
 *   the node's report after restart settles.
 */
export class DispatchJournal {
  private batch: Batch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** An urgent batch waits for its holds. */
  private holding = false;
  /** Batches whose transaction is under way (their commit and sync). */
  private committing = 0;
  /** The batches committed so far, in order. */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    readonly maxResultBytes = MAX_JOURNAL_RESULT_BYTES,
  ) {}

  /** The hash kept beside an idempotency key: SHA-256 of the capability and the input JSON. */
  static inputHash(capability: string, inputJson: string): string {
    return createHash('sha256').update(capability).update('\u0000').update(inputJson).digest('hex');
  }

  accept(record: DispatchRecord): Promise<void> {
    const row = { ...record };
    const batch = this.open(true);
    batch.inserts.set(row.id, row);
    batch.ops.push((repos) => repos.dispatches.insert(row));
    return batch.done;
  }

  /**
   * `work` (a dispatch's input check) may soon add to the open batch (its `sent`): the batch
   * waits for it, at most HOLD_MAX_MS, so that one commit (one sync) covers both. Without
   * it a dispatch at a time paid two syncs in a row before reaching its node.
   */
  hold(work: Promise<unknown>): void {
    this.batch?.holds.push(work);
  }

  sent(id: string, at = Date.now()): Promise<void> {
    const batch = this.open(true);
    const row = batch.inserts.get(id);
    if (row !== undefined && row.state === 'queued') {
      row.state = 'sent';
      row.sentAt = at;
    } else {
      batch.ops.push((repos) => repos.dispatches.advance(id, 'sent', at));
    }
    return batch.done;
  }

  running(id: string, at = Date.now()): void {
    const batch = this.open(false);
    if (!batch.running.has(id)) {
      batch.running.set(id, at);
      batch.ops.push(async (repos) => {
        if (batch.running.has(id)) await repos.dispatches.advance(id, 'running', at);
      });
    }
    batch.done.catch(() => undefined);
  }

  /** Records the final state; resolves once committed (the node's ResultAck waits for it). */
  finish(id: string, result: DispatchResult, at = Date.now(), { outputJson }: { outputJson?: string } = {}): Promise<void> {
    const json = this.resultJson(result, outputJson);
    const batch = this.open(false);
    batch.running.delete(id);
    const row = batch.inserts.get(id);
    if (row !== undefined && row.finishedAt === null) {
      row.state = result.status as JournalDispatchState;
      row.resultJson = json;
      row.finishedAt = at;
      row.inputJson = null;
      return batch.done;
    }
    batch.ops.push(async (repos) => {
      await repos.dispatches.finish(id, result.status as JournalDispatchState, json, at);
    });
    return batch.done;
  }

  /**
   * The row of a dispatch id. Ids come from outside (a node's result, an operator's `dispatches
   * get`): one that is no dispatch id (a ULID) has no row, and is never sent to the database
   * (PostgreSQL fails a query that carries a NUL).
   */
  get(id: string): Promise<DispatchRecord | undefined> {
    return isValidDispatchId(id) ? this.store.dispatches.get(id) : Promise.resolve(undefined);
  }

  findByKey(deviceId: string, idempotencyKey: string): Promise<DispatchRecord | undefined> {
    return this.store.dispatches.findByKey(deviceId, idempotencyKey);
  }

  unfinished(deviceId?: string): Promise<DispatchRecord[]> {
    return this.store.dispatches.unfinished(deviceId);
  }

  list(query: DispatchListQuery): Promise<DispatchRecord[]> {
    return this.store.dispatches.list(query);
  }

  /** Deletes finished rows past the retention; returns how many went. */
  prune(retention: JournalRetention, now = Date.now()): Promise<number> {
    return this.store.dispatches.prune({
      finishedBefore: now - Math.max(retention.maxAgeMs, retention.idempotencyWindowMs),
      keepAllSince: now - retention.idempotencyWindowMs,
      maxCount: retention.maxFinished,
    });
  }

  /** Commits whatever is waiting, at once. */
  async flush(): Promise<void> {
    if (this.batch !== undefined) this.commit(this.batch);
    await this.tail;
  }

  /**
   * The row's result: the whole result as JSON when it fits, else the result without its
   * output (and without its error's details when those are what is too large), marked
   * `truncated`. `outputJson` is the node's own text, when there is one, so that a large
   * output is never serialised again just to be measured.
   */
  resultJson(result: DispatchResult, outputJson?: string): string {
    const output = outputJson ?? (result.output === null ? 'null' : JSON.stringify(result.output));
    const error = result.error === null ? 'null' : JSON.stringify(result.error);
    const head = `{"dispatchId":${JSON.stringify(result.dispatchId)},"status":${JSON.stringify(result.status)},"durationMs":${result.durationMs},"error":`;
    // UTF-16 length first (a byte count is never smaller): only what may fit is measured in bytes.
    if (head.length + error.length + output.length + 12 <= this.maxResultBytes) {
      const whole = `${head}${error},"output":${output === '' ? 'null' : output}}`;
      if (Buffer.byteLength(whole) <= this.maxResultBytes) return whole;
    }
    const truncated: TruncatedResult = {
      dispatchId: result.dispatchId,
      status: result.status,
      durationMs: result.durationMs,
      error: result.error === null ? null : { code: result.error.code, message: result.error.message.slice(0, 4096) },
      output: null,
      truncated: true,
      outputBytes: Buffer.byteLength(output),
    };
    return JSON.stringify(truncated);
  }

  private open(urgent: boolean): Batch {
    let batch = this.batch;
    if (batch === undefined) {
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      batch = { ops: [], running: new Map(), inserts: new Map(), done, urgent: false, closed: false, holds: [], resolve, reject };
      this.batch = batch;
    }
    this.schedule(batch, urgent);
    return batch;
  }

  /**
   * Urgent writes commit on the next turn of the event loop; lazy ones within LAZY_FLUSH_MS.
   * While a commit is under way, nothing else is committed: the open batch gathers whatever
   * comes meanwhile and commits as soon as that one is done (group commit). Committing a batch
   * per turn instead queued up hundreds of one-dispatch transactions behind a slow disk.
   */
  private schedule(batch: Batch, urgent: boolean): void {
    if (urgent) batch.urgent = true;
    if (this.immediate !== undefined || this.committing > 0 || this.holding) return;
    if (urgent) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        this.commitAfterHolds(batch);
      });
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.commit(batch), LAZY_FLUSH_MS);
      this.timer.unref();
    }
  }

  private commitAfterHolds(batch: Batch): void {
    if (batch.holds.length === 0) {
      this.commit(batch);
      return;
    }
    this.holding = true;
    clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, HOLD_MAX_MS);
    });
    void Promise.race([Promise.allSettled(batch.holds), bounded]).then(() => {
      clearTimeout(timer);
      this.holding = false;
      if (!batch.closed) this.commit(batch);
      else if (this.batch !== undefined) this.schedule(this.batch, this.batch.urgent); // flushed meanwhile
    });
  }

  private commit(batch: Batch): void {
    if (batch.closed) return;
    batch.closed = true;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.immediate = undefined;
    if (this.batch === batch) this.batch = undefined;
    this.committing += 1;
    this.tail = this.tail.then(async () => {
      try {
        await this.store.transaction(async (repos) => {
          for (const op of batch.ops) await op(repos);
        });
        batch.resolve();
      } catch (error) {
        batch.reject(error);
      } finally {
        this.committing -= 1;
        // What gathered meanwhile: now if urgent, else on its timer.
        const next = this.batch;
        if (next !== undefined) this.schedule(next, next.urgent);
      }
    });
  }
}
