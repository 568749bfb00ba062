import { createHash } from 'node:crypto';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeMessage } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import { checkPrivateDirectory, readOwnFile, writeFileAtomic } from '@palyra/shared/fs';
import type { PluginLogger } from '@palyra/shared/plugins';
import { MAX_RESULT_BYTES, resultBytes, type HeldResult } from './dispatchResult.js';

export interface OutboxLimits {
  /** Results held at once (default 1,000). */
  maxResults: number;
  /** Their total size in bytes, as stored (default 64 MiB). */
  maxBytes: number;
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = { maxResults: 1_000, maxBytes: 64 * 1024 * 1024 };

/** The outbox's directory in the node's state directory. */
export const OUTBOX_DIRECTORY = 'outbox';
const FILE_NAME = /^[0-9a-f]{64}\.json$/;
const TEMP_FILE = /^\..*\.tmp$/;
const FORMAT_VERSION = 1;
/** A stored header's fields beyond the result's own strings (version, device id, times, JSON syntax). */
const HEADER_ALLOWANCE = 256;
/** A stored result: its header's JSON escapes (at most 6 bytes per byte) over the wire bound. */
const MAX_FILE_BYTES = 6 * MAX_RESULT_BYTES + 64 * 1024;

interface Entry {
  readonly dispatchId: string;
  readonly finishedAt: string;
  readonly seq: number;
  /** What it weighs: its strings plus a header allowance in memory, its file's size once loaded. */
  readonly bytes: number;
  /** In memory until written (and while a session may still acknowledge it). */
  result: HeldResult | undefined;
  /** Its file exists (or is being written). */
  stored: boolean;
}

/**
 * Results of finished dispatches, held until the daemon acknowledges them (ResultAck). While a
 * session is open a result goes up at once and waits in memory for its ack; a result that
 * cannot be delivered (no session, or the session ended before the ack) is written to
 * `<state dir>/outbox/`, one file per result (0600, atomically, in a 0700 directory), and
 * survives a restart of the agent. Each new session lists the held ids in its hello and
 * receives every held result right after the welcome.
 *
 * Bounded: at most `maxResults` results and `maxBytes` bytes (each result is bounded by
 * MAX_RESULT_BYTES); when full, the oldest are dropped with a log line: the daemon then
 * reports those dispatches as `unknown`, which is what it can know. File operations run one
 * after another, so an ack that overtakes the write of its result still removes the file.
 */
export class ResultOutbox {
  private readonly entries = new Map<string, Entry>();
  private totalBytes = 0;
  private send: ((message: NodeMessage) => void) | undefined;
  private disk: Promise<void> = Promise.resolve();
  /** Orders results finished within the same millisecond (kept in each file, for the next start). */
  private seq = 0;

  private constructor(
    private readonly dir: string | undefined,
    private readonly deviceId: string,
    private readonly limits: OutboxLimits,
    private readonly logger: PluginLogger,
  ) {}

  /** An outbox that keeps results in memory only (no state dir: tests, embedding). */
  static inMemory(logger: PluginLogger, limits: OutboxLimits = DEFAULT_OUTBOX_LIMITS): ResultOutbox {
    return new ResultOutbox(undefined, '', limits, logger);
  }

  /**
   * Opens `<stateDir>/outbox` (created 0700, checked like the state dir) and loads what an
   * earlier run of this identity left there. Results held for another identity (the node left
   * and joined again, perhaps another daemon) are removed: they carry what its commands
   * printed, and only the daemon they ran for may see them.
   */
  static async open(
    stateDir: string,
    { deviceId, logger, limits = DEFAULT_OUTBOX_LIMITS }: { deviceId: string; logger: PluginLogger; limits?: OutboxLimits },
  ): Promise<ResultOutbox> {
    const dir = join(stateDir, OUTBOX_DIRECTORY);
    await checkPrivateDirectory(dir, { create: true, what: "the agent's result outbox" });
    const outbox = new ResultOutbox(dir, deviceId, limits, logger);
    await outbox.load();
    return outbox;
  }

  /** The ids held, oldest first (the hello's finished_dispatch_ids). */
  get ids(): string[] {
    return [...this.entries.keys()];
  }

  get size(): number {
    return this.entries.size;
  }

  has(dispatchId: string): boolean {
    return this.entries.has(dispatchId);
  }

  /** The path of the file that holds (or would hold) a dispatch's result. */
  fileOf(dispatchId: string): string | undefined {
    return this.dir === undefined ? undefined : join(this.dir, fileName(dispatchId));
  }

  /** A dispatch finished: its result goes up now when a session is open, else into the outbox's directory. */
  add(result: HeldResult): void {
    const previous = this.entries.get(result.dispatchId);
    if (previous !== undefined) this.remove(previous);
    const finishedAt = new Date().toISOString();
    this.seq += 1;
    // Encoded only if it must be written: a result acknowledged on a live session never is.
    const entry: Entry = { dispatchId: result.dispatchId, finishedAt, seq: this.seq, bytes: resultBytes(result) + HEADER_ALLOWANCE, result, stored: false };
    this.entries.set(entry.dispatchId, entry);
    this.totalBytes += entry.bytes;
    this.evictOverLimits();
    if (!this.entries.has(entry.dispatchId)) return;
    if (this.send !== undefined) this.send({ result });
    else this.store(entry);
  }

  /** A session was welcomed: every held result goes up it, oldest first; new ones follow as they finish. */
  attach(send: (message: NodeMessage) => void): void {
    this.send = send;
    for (const entry of this.entries.values()) {
      if (entry.result !== undefined) send({ result: entry.result });
      else this.sendStored(entry, send);
    }
  }

  /** The session ended: what it did not acknowledge is written to the directory. */
  detach(send?: (message: NodeMessage) => void): void {
    // A session that ends after its successor attached (a renewal's handover): the successor
    // already resent every held result.
    if (send !== undefined && this.send !== send) return;
    this.send = undefined;
    for (const entry of this.entries.values()) if (!entry.stored) this.store(entry);
  }

  /** The daemon stored the result (or knew it): it is dropped, its file removed. */
  ack(dispatchId: string): void {
    const entry = this.entries.get(dispatchId);
    if (entry !== undefined) this.remove(entry);
  }

  /** Resolves when every file operation begun so far has ended (stop: before the process exits). */
  async settled(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.disk) {
      seen = this.disk;
      await seen;
    }
  }

  private evictOverLimits(): void {
    for (const entry of this.entries.values()) {
      if (this.entries.size <= this.limits.maxResults && this.totalBytes <= this.limits.maxBytes) return;
      this.logger.warn('the result outbox is full: dropped its oldest result; the daemon will report that dispatch as unknown', {
        dispatchId: entry.dispatchId,
        finishedAt: entry.finishedAt,
        maxResults: this.limits.maxResults,
        maxBytes: this.limits.maxBytes,
      });
      this.remove(entry);
    }
  }

  private remove(entry: Entry): void {
    if (this.entries.get(entry.dispatchId) !== entry) return;
    this.entries.delete(entry.dispatchId);
    this.totalBytes -= entry.bytes;
    if (entry.stored) this.onDisk(`remove the held result of dispatch ${entry.dispatchId}`, (file) => unlinkIfPresent(file), entry.dispatchId);
  }

  private store(entry: Entry): void {
    entry.stored = true;
    this.onDisk(`keep the result of dispatch ${entry.dispatchId}`, async (file) => {
      const result = entry.result;
      // Acknowledged or dropped meanwhile: nothing to keep.
      if (this.entries.get(entry.dispatchId) !== entry || result === undefined) return;
      try {
        await writeFileAtomic(file, encode(result, this.deviceId, entry.finishedAt, entry.seq), { mode: 0o600 });
      } catch (error) {
        entry.stored = false; // kept in memory; the next session still gets it
        throw error;
      }
      if (this.entries.get(entry.dispatchId) === entry) entry.result = undefined;
    }, entry.dispatchId);
  }

  private sendStored(entry: Entry, send: (message: NodeMessage) => void): void {
    this.onDisk(`read the held result of dispatch ${entry.dispatchId}`, async (file) => {
      if (this.entries.get(entry.dispatchId) !== entry || this.send !== send) return;
      const stored = entry.result ?? (await this.read(file))?.result;
      if (stored === undefined) {
        this.remove(entry);
        return;
      }
      if (this.entries.get(entry.dispatchId) === entry && this.send === send) send({ result: stored });
    }, entry.dispatchId);
  }

  /** Runs a file operation after those before it; a failure is logged (the result stays held in memory where it can). */
  private onDisk(what: string, operation: (file: string) => Promise<void>, dispatchId: string): void {
    const file = this.fileOf(dispatchId);
    if (file === undefined) return;
    this.disk = this.disk.then(() =>
      operation(file).catch((error: unknown) => {
        this.logger.warn(`cannot ${what} in the outbox`, { file, error: error instanceof Error ? error.message : String(error) });
      }),
    );
  }

  private async load(): Promise<void> {
    const dir = this.dir as string;
    const found: Array<{ result: HeldResult; finishedAt: string; seq: number; bytes: number }> = [];
    // Each stored result says whose it is (deviceId) and when it finished.
    for (const name of await readdir(dir)) {
      const file = join(dir, name);
      if (TEMP_FILE.test(name)) {
        // A write cut short by a crash: its result was never held.
        await unlinkIfPresent(file);
        continue;
      }
      if (!FILE_NAME.test(name)) continue;
      const stored = await this.read(file);
      if (stored === undefined) continue;
      if (fileName(stored.result.dispatchId) !== name) {
        this.logger.warn('removed a held result stored under the wrong name', { file });
        await unlinkIfPresent(file);
        continue;
      }
      if (stored.deviceId !== this.deviceId) {
        this.logger.warn('removed a held result of an earlier identity of this node (it left and joined again)', { file, dispatchId: stored.result.dispatchId });
        await unlinkIfPresent(file);
        continue;
      }
      found.push(stored);
    }
    found.sort((a, b) => (a.finishedAt === b.finishedAt ? a.seq - b.seq : a.finishedAt < b.finishedAt ? -1 : 1));
    for (const { result, finishedAt, seq, bytes } of found) {
      this.entries.set(result.dispatchId, { dispatchId: result.dispatchId, finishedAt, seq, bytes, result: undefined, stored: true });
      this.totalBytes += bytes;
    }
    this.evictOverLimits();
    await this.settled();
  }

  /** Reads one stored result; an unreadable one is logged and removed (it could never be delivered). */
  private async read(file: string): Promise<(Decoded & { bytes: number }) | undefined> {
    let bytes: Buffer | undefined;
    try {
      bytes = await readOwnFile(file, { secret: true, what: 'the held result', maxBytes: MAX_FILE_BYTES });
    } catch (error) {
      // Another user's file, a link, too large: refused, and left for the operator to look at.
      if (error instanceof PalyraError && error.code === 'PALYRA_E_STATE_PERMISSIONS') throw error;
      this.logger.warn('removed a held result that cannot be read', { file, error: error instanceof Error ? error.message : String(error) });
      await unlinkIfPresent(file);
      return undefined;
    }
    if (bytes === undefined) return undefined;
    const decoded = decode(bytes);
    if (decoded === undefined) {
      this.logger.warn('removed a held result that is not in the outbox format', { file });
      await unlinkIfPresent(file);
      return undefined;
    }
    return { ...decoded, bytes: bytes.length };
  }
}

/** Files are named by a hash of the dispatch id: any id the daemon chose is a safe name. */
function fileName(dispatchId: string): string {
  return `${createHash('sha256').update(dispatchId).digest('hex')}.json`;
}

interface Decoded {
  result: HeldResult;
  deviceId: string;
  finishedAt: string;
  seq: number;
}

/** One JSON line (the header: id, status, error, whose, finish time), then the output JSON as it is (no second escaping). */
function encode(result: HeldResult, deviceId: string, finishedAt: string, seq: number): Buffer {
  const header = JSON.stringify({ version: FORMAT_VERSION, dispatchId: result.dispatchId, status: result.status, error: result.error, deviceId, finishedAt, seq });
  return Buffer.from(`${header}\n${result.outputJson}`, 'utf8');
}

function decode(bytes: Buffer): Decoded | undefined {
  const text = bytes.toString('utf8');
  const newline = text.indexOf('\n');
  if (newline < 0) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(text.slice(0, newline));
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null) return undefined;
  const { version, dispatchId, status, error, deviceId, finishedAt, seq } = header as Record<string, unknown>;
  if (
    version !== FORMAT_VERSION ||
    typeof dispatchId !== 'string' ||
    dispatchId === '' ||
    typeof status !== 'string' ||
    typeof deviceId !== 'string' ||
    typeof finishedAt !== 'string' ||
    typeof seq !== 'number'
  ) {
    return undefined;
  }
  if (error !== null && !isErrorInfo(error)) return undefined;
  return { result: { dispatchId, status, outputJson: text.slice(newline + 1), error }, deviceId, finishedAt, seq };
}

function isErrorInfo(value: unknown): value is { code: string; message: string; detailsJson: string } {
  if (typeof value !== 'object' || value === null) return false;
  const { code, message, detailsJson } = value as Record<string, unknown>;
  return typeof code === 'string' && typeof message === 'string' && typeof detailsJson === 'string';
}

async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
