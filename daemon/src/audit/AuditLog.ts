import { constants as fsConstants } from 'node:fs';
import { open, rename, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { assertPrivateFile, ensurePrivateDir, syncDirectory } from '@palyra/shared/fs';
import type { Logger } from '@palyra/shared/logging';
import { CURRENT_FILE, auditDir, readAnchor, rotatedName, writeAnchor } from './auditFiles.js';
import { boundRecord, sealEntry } from './entryFormat.js';
import { resumeChain, type ChainNote } from './resumeChain.js';
import type { AuditRecord, AuditSink } from './types.js';
import { listAuditLog, type AuditPage, type AuditQuery } from './listAuditLog.js';
import { snapshotAuditLog, verifyAuditLog, type AuditSnapshot, type AuditVerificationReport } from './verifyAuditLog.js';

/** Default size at which `audit.log` is rotated: 64 MiB. */
export const DEFAULT_AUDIT_MAX_FILE_BYTES = 64 * 1024 * 1024;
/** At most this long between an entry and the anchor that covers it (see docs/security.md, "Audit log"). */
export const DEFAULT_AUDIT_ANCHOR_INTERVAL_MS = 5_000;
/** Entries written by one write + fdatasync at most (bounds one batch's memory). */
const MAX_BATCH = 4096;
const O_NOFOLLOW = fsConstants.O_NOFOLLOW ?? 0;
/**
 * Group commit under load: when the last write carried more than one entry (appends overlap),
 * the next one waits up to GATHER_MAX_MS for GATHER_ENTRIES to gather. Each fdatasync costs
 * this machine ~300-400 µs of CPU; at 100 dispatches in flight the daemon's fdatasyncs (journal
 * and audit log) went from ~1,900 to ~960 per 3,000 dispatches (strace, one run). A lone append
 * (the last write carried one entry) never waits.
 */
const GATHER_ENTRIES = 64;
const GATHER_MAX_MS = 1;

export interface AuditLogOptions {
  stateDir: string;
  /** The 256-bit HMAC key (kept in the daemon's vault: VaultKeyStore.auditKey). */
  key: Uint8Array;
  /**
   * Whether the vault created the key for this start (VaultKeyStore.auditKey). false: the log
   * existed before, so an empty audit dir with no head.json means it was deleted (recorded as
   * a chain break). Undefined: not known, no such check.
   */
  keyIsNew?: boolean;
  maxFileBytes?: number;
  anchorIntervalMs?: number;
  logger?: Logger;
  now?: () => Date;
}

interface Pending {
  record: AuditRecord;
  at: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * The daemon's tamper-evident audit log: JSON Lines in `<stateDir>/audit/` (0700, files 0600),
 * each entry chained to the one before by HMAC-SHA-256 under a key only the vault holds, so
 * that whoever can edit the files but cannot open the vault cannot recompute the chain.
 *
 * Durability: `append` resolves once its bytes are written and fdatasync'ed. Group commit:
 * the records appended while a write is in flight go out together in the next write, with one
 * fdatasync, so a busy daemon pays one sync per batch, not per entry. A failed write (a full
 * disk) rejects the whole batch with PALYRA_E_STATE_IO and cuts the file back to its last
 * durable byte, so the chain never holds an entry nobody was told about.
 *
 * Rotation: when the next batch would take `audit.log` past maxFileBytes it is renamed
 * `audit-<firstSeq>-<lastSeq>.log` and a new `audit.log` continues the chain (its first
 * `prev` is the last hash before). Nothing is ever deleted by the daemon.
 *
 * Truncation: the anchor `head.json` ({seq, hash, at} + HMAC) is rewritten at start, at each
 * rotation, at stop and, while entries are added, every anchorIntervalMs; verify reports
 * entries missing before it. Entries added since the last anchor (at most anchorIntervalMs of
 * them) can be cut off the end undetected: that is the window.
 */
export class AuditLog implements AuditSink {
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;
  private handle: FileHandle | undefined;
  /** The open audit.log's device and inode: a path that no longer names it was removed or replaced. */
  private handleId: { dev: number; ino: number } | undefined;
  private size = 0;
  /** Set after a failed write whose cut-back failed too: nothing is appended until it succeeds. */
  private needsCut = false;
  private firstSeqInFile: number | undefined;
  private dirty = false;
  private anchoring: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private writes = 0;
  private verifying = 0;
  /** Ends the current gather() wait, while one runs. */
  private gathered: (() => void) | undefined;
  /** A rotation in progress (verify waits for it: it must list the files after the rename). */
  private rotation: Promise<void> | undefined;

  private constructor(
    readonly dir: string,
    private readonly key: Uint8Array,
    private seq: number,
    private hash: string,
    private readonly options: AuditLogOptions,
  ) {}

  /** Write + fdatasync rounds so far (group commit: fewer than entries under load). */
  get syncs(): number {
    return this.writes;
  }

  /** The last durable entry's seq (0 for an empty log). */
  get lastSeq(): number {
    return this.seq;
  }

  static async open(options: AuditLogOptions): Promise<AuditLog> {
    if (options.key.length !== 32) throw new PalyraError('PALYRA_E_INTERNAL', 'the audit key must be 32 bytes');
    const dir = auditDir(options.stateDir);
    await ensurePrivateDir(dir);
    const anchor = await readAnchor(dir, options.key);
    const resumed = await resumeChain(dir, options.key, anchor, options.logger, options.keyIsNew);
    const log = new AuditLog(dir, options.key, resumed.seq, resumed.hash, options);
    log.firstSeqInFile = resumed.firstSeqInFile;
    await log.openCurrent();
    for (const note of resumed.notes) await log.append(noteRecord(note));
    await log.writeAnchorNow();
    const interval = options.anchorIntervalMs ?? DEFAULT_AUDIT_ANCHOR_INTERVAL_MS;
    log.timer = setInterval(() => {
      if (log.dirty) log.anchoring = log.anchoring.then(() => log.writeAnchorNow()).catch((error: unknown) => options.logger?.error({ error: (error as Error).message }, 'audit: writing the anchor head.json failed'));
    }, interval);
    log.timer.unref();
    return log;
  }

  append(record: AuditRecord, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.closed) return Promise.reject(new PalyraError('PALYRA_E_STATE_IO', 'the audit log is closed (the daemon is stopping)'));
    options.signal?.throwIfAborted();
    const at = (this.options.now?.() ?? new Date()).toISOString();
    const bounded = boundRecord(record);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record: bounded, at, resolve, reject });
      if (this.queue.length >= GATHER_ENTRIES) this.gathered?.();
      this.draining ??= this.drain();
    });
  }

  /** Checks the whole log (see verifyAuditLog), reading `audit.log` only as far as it was durable. */
  async verify(options: { signal?: AbortSignal } = {}): Promise<AuditVerificationReport> {
    // No rotation while the snapshot is taken (the files listed, the anchor read, audit.log
    // opened, this process's last durable seq and bytes read together), and none in flight:
    // the walk then reads the very audit.log it listed even if a rotation renames it, so
    // rotation goes on while a long walk runs. The seq catches entries removed from under a
    // running daemon even when head.json went with them.
    this.verifying += 1;
    let snapshot: AuditSnapshot;
    try {
      await this.rotation;
      snapshot = await snapshotAuditLog(this.options.stateDir, this.key, () => ({ bytes: this.size, seq: this.seq }));
    } finally {
      this.verifying -= 1;
    }
    return verifyAuditLog(this.options.stateDir, this.key, { ...options, snapshot });
  }

  list(query: AuditQuery, options: { signal?: AbortSignal } = {}): Promise<AuditPage> {
    return listAuditLog(this.options.stateDir, this.key, query, options);
  }

  /** Writes what is queued, the anchor, and closes the file. Appends after this are refused. */
  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.draining;
    await this.anchoring;
    try {
      if (this.dirty) await this.writeAnchorNow();
    } finally {
      await this.handle?.close();
      this.handle = undefined;
    }
  }

  private async drain(): Promise<void> {
    // One turn of the event loop: the appends of the same tick (InvokeMany's results, a
    // removal's revocations) join the first write instead of waiting for the next.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      let last = 0;
      while (this.queue.length > 0) {
        if (last > 1 && this.queue.length < GATHER_ENTRIES) await this.gather();
        const batch = this.queue.splice(0, MAX_BATCH);
        last = batch.length;
        await this.writeBatch(batch);
      }
    } finally {
      this.draining = undefined;
    }
  }

  /** Waits until GATHER_ENTRIES are queued (append() ends the wait) or GATHER_MAX_MS passed. */
  private gather(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.gathered = undefined;
        resolve();
      };
      const timer = setTimeout(done, GATHER_MAX_MS);
      this.gathered = done;
    });
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    if (await this.currentReplaced()) {
      // Someone removed or renamed audit.log under us: appending to the old inode would make
      // entries "durable" in a file nobody can see. Start a new audit.log, and say why first.
      this.options.logger?.error({ lastSeq: this.seq }, 'audit: audit.log was removed or replaced while the daemon ran; a new file continues the chain. Run `palyrad audit verify`');
      await this.handle?.close().catch(() => undefined);
      this.handle = undefined;
      this.handleId = undefined;
      this.size = 0;
      this.needsCut = false;
      this.firstSeqInFile = undefined;
      const note = noteRecord({ action: 'audit.chain_break', details: { problem: 'audit.log removed or replaced while the daemon ran', lastSeq: this.seq } });
      batch.unshift({ record: boundRecord(note), at: (this.options.now?.() ?? new Date()).toISOString(), resolve: () => undefined, reject: () => undefined });
    }
    let seq = this.seq;
    let prev = this.hash;
    const lines: string[] = [];
    for (const pending of batch) {
      seq += 1;
      const sealed = sealEntry(this.key, { seq, at: pending.at, ...pending.record, prev });
      lines.push(sealed.line);
      prev = sealed.hash;
    }
    const bytes = Buffer.from(lines.join(''), 'utf8');
    try {
      if (this.needsCut) await this.cutBack();
      if (this.verifying === 0 && this.size > 0 && this.size + bytes.length > (this.options.maxFileBytes ?? DEFAULT_AUDIT_MAX_FILE_BYTES)) {
        this.rotation = this.rotate();
        try {
          await this.rotation;
        } finally {
          this.rotation = undefined;
        }
      }
      if (this.handle === undefined) await this.openCurrent();
      await writeAll(this.handle as FileHandle, bytes);
      await (this.handle as FileHandle).datasync();
      this.writes += 1;
    } catch (error) {
      this.needsCut = true;
      await this.cutBack().catch(() => undefined); // retried before the next write
      const failure = new PalyraError('PALYRA_E_STATE_IO', `the audit log could not be written (${(error as Error).message}); the action's audit entry is not recorded`, {
        cause: error,
        details: { dir: this.dir },
      });
      this.options.logger?.error({ error: (error as Error).message, entries: batch.length }, 'audit: write failed');
      for (const pending of batch) pending.reject(failure);
      return;
    }
    this.firstSeqInFile ??= this.seq + 1;
    this.size += bytes.length;
    this.seq = seq;
    this.hash = prev;
    this.dirty = true;
    for (const pending of batch) pending.resolve();
  }

  /** True when `audit.log` is no longer the file this process has open (one stat per batch). */
  private async currentReplaced(): Promise<boolean> {
    if (this.handle === undefined || this.handleId === undefined) return false;
    try {
      const now = await stat(join(this.dir, CURRENT_FILE));
      return now.dev !== this.handleId.dev || now.ino !== this.handleId.ino;
    } catch (error) {
      // Any other failure: the write that follows reports the trouble with the directory.
      return (error as NodeJS.ErrnoException).code === 'ENOENT';
    }
  }

  /** Cuts `audit.log` back to its last durable byte after a failed write. */
  private async cutBack(): Promise<void> {
    if (this.handle === undefined) return;
    await this.handle.truncate(this.size);
    await this.handle.datasync();
    this.needsCut = false;
  }

  private async rotate(): Promise<void> {
    const current = join(this.dir, CURRENT_FILE);
    await this.handle?.close();
    this.handle = undefined;
    this.handleId = undefined;
    const name = rotatedName(this.firstSeqInFile ?? this.seq, this.seq);
    await rename(current, join(this.dir, name));
    await syncDirectory(this.dir, join(this.dir, name));
    this.size = 0;
    this.firstSeqInFile = undefined;
    await this.openCurrent();
    await this.writeAnchorNow();
  }

  private async openCurrent(): Promise<void> {
    const path = join(this.dir, CURRENT_FILE);
    // O_NONBLOCK: a FIFO put in its place must fail here (ENXIO), not block the daemon; no
    // effect on a regular file.
    const handle = await open(path, fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | O_NOFOLLOW | (fsConstants.O_NONBLOCK ?? 0), 0o600);
    try {
      await assertPrivateFile(path);
      const opened = await handle.stat();
      this.size = opened.size;
      this.handleId = { dev: opened.dev, ino: opened.ino };
      await syncDirectory(this.dir, path);
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.handle = handle;
  }

  private async writeAnchorNow(): Promise<void> {
    this.dirty = false;
    await writeAnchor(this.dir, this.key, { seq: this.seq, hash: this.hash, at: new Date().toISOString() });
  }
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
    offset += bytesWritten;
  }
}

function noteRecord(note: ChainNote): AuditRecord {
  return { action: note.action, actor: { kind: 'daemon' }, outcome: note.action === 'audit.recovered' ? 'ok' : 'failed', details: note.details };
}
