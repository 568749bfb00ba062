import type { NodeRecord, PairingCodeRecord, PairingRequestRecord, RevokedCertRecord } from '../registry/types.js';
import type { DispatchState } from '../dispatch/types.js';
import type { SqlDatabase, StoreEngine, TransactionOptions } from './SqlDatabase.js';

/**
 * Where a dispatch stands in the journal: the dispatch states themselves (queued, sent,
 * running, then a final status; `unknown` is the only final one a later report replaces).
 */
export type JournalDispatchState = DispatchState;

/** One row of the dispatch journal. Times are milliseconds since the epoch. */
export interface DispatchRecord {
  id: string;
  deviceId: string;
  capability: string;
  /** Who asked: `local` (the admin socket) today; token ids later. */
  caller: string;
  idempotencyKey: string | null;
  /** SHA-256 (hex) of the capability and input: a retry with the same key must match it. */
  inputHash: string;
  /** The input as JSON; kept only while the dispatch is unfinished, then null. */
  inputJson: string | null;
  state: JournalDispatchState;
  createdAt: number;
  deadlineAt: number;
  sentAt: number | null;
  finishedAt: number | null;
  /** The final result as JSON (bounded by the writer), once finished. */
  resultJson: string | null;
}

export interface DispatchListQuery {
  deviceId?: string;
  /** Only unfinished (true) or only finished (false) dispatches. */
  unfinished?: boolean;
  /** Newest first; only those created strictly before this (id, createdAt) cursor. */
  before?: { createdAt: number; id: string };
  limit: number;
}

export interface PairingCodeRepository {
  all(): Promise<PairingCodeRecord[]>;
  upsert(record: PairingCodeRecord): Promise<void>;
  delete(ids: readonly string[]): Promise<void>;
}

export interface PairingRequestRepository {
  all(): Promise<PairingRequestRecord[]>;
  upsert(record: PairingRequestRecord): Promise<void>;
  delete(requestIds: readonly string[]): Promise<void>;
}

export interface NodeRepository {
  all(): Promise<NodeRecord[]>;
  count(): Promise<number>;
  /** Writes the whole record, lastSeen included. */
  upsert(record: NodeRecord): Promise<void>;
  delete(deviceId: string): Promise<void>;
  /** Only newer values replace older ones; unknown devices are ignored. */
  setLastSeen(entries: readonly { deviceId: string; lastSeen: string }[]): Promise<void>;
}

export interface RevocationRepository {
  all(): Promise<RevokedCertRecord[]>;
  /** Adds a revocation; one that exists already is left as it was. */
  add(record: RevokedCertRecord): Promise<void>;
  /** Deletes these entries (their certificates have expired: see NodeRegistry.pruneRevocations). */
  delete(fingerprints: readonly string[]): Promise<void>;
}

export interface DispatchRepository {
  /** Adds a new dispatch; callers look its idempotency key up first, in the same transaction. */
  insert(record: DispatchRecord): Promise<void>;
  get(id: string): Promise<DispatchRecord | undefined>;
  findByKey(deviceId: string, idempotencyKey: string): Promise<DispatchRecord | undefined>;
  /** Moves an unfinished dispatch forward (queued -> sent -> running); sentAt is set with 'sent'. */
  advance(id: string, state: 'sent' | 'running', at: number): Promise<void>;
  /**
   * Records the final state and result, drops the input. A finished row is left alone, except
   * one in state `unknown`, which a real result replaces. Returns whether the row changed.
   */
  finish(id: string, state: JournalDispatchState, resultJson: string, at: number): Promise<boolean>;
  /** Unfinished dispatches (state queued, sent or running), oldest first. */
  unfinished(deviceId?: string): Promise<DispatchRecord[]>;
  list(query: DispatchListQuery): Promise<DispatchRecord[]>;
  /**
   * Deletes finished dispatches that finished before `finishedBefore`, and beyond the newest
   * `maxCount` finished ones those that finished before `keepAllSince`. Returns how many went.
   */
  prune(policy: { finishedBefore: number; keepAllSince: number; maxCount: number }): Promise<number>;
}

/**
 * An API token as stored: everything but its secret, of which only the SHA-256 is kept. Times
 * are RFC 3339; null: never expires, not revoked, never used.
 */
export interface TokenRecord {
  id: string;
  name: string;
  role: string;
  /** Narrows the role to these permissions; empty: all the role grants. */
  permissions: string[];
  /** Capability patterns the token may dispatch ("fs.read", "fs.*"); empty: every capability. */
  scopes: string[];
  /** Node selector (canonical text); "" for every node. */
  nodes: string;
  ratePerSecond: number;
  burst: number;
  /** Lowercase hex SHA-256 of the secret bytes. */
  secretSha256: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  /** `local:<uid>` or `token:<id>`. */
  createdBy: string;
  lastUsedAt: string | null;
}

export interface TokenRepository {
  /** Every token, revoked and expired ones included, oldest first. */
  all(): Promise<TokenRecord[]>;
  get(id: string): Promise<TokenRecord | undefined>;
  /** Adds a new token; an id that exists already fails. */
  insert(record: TokenRecord): Promise<void>;
  /** Marks a token revoked at `at`; returns false when it was revoked already (or unknown). */
  revoke(id: string, at: string): Promise<boolean>;
  /** Records a use; an older time never replaces a newer one. */
  touch(id: string, at: string): Promise<void>;
  /** Deletes the tokens revoked or expired at or before `before` (RFC 3339); returns how many. */
  deleteEnded(before: string): Promise<number>;
}

export interface MetaRepository {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

/** The repositories, bound to one executor: the database itself, or a transaction. */
export interface Repositories {
  readonly pairingCodes: PairingCodeRepository;
  readonly pairingRequests: PairingRequestRepository;
  readonly nodes: NodeRepository;
  readonly revocations: RevocationRepository;
  readonly dispatches: DispatchRepository;
  readonly tokens: TokenRepository;
  readonly meta: MetaRepository;
}

/** The daemon's durable state. */
export interface Store extends Repositories {
  readonly engine: StoreEngine;
  /** The SQLite file, or the PostgreSQL URL without its password: for messages and `palyrad status`. */
  readonly location: string;
  readonly db: SqlDatabase;
  /** Runs `body` in one transaction over repositories bound to it. */
  transaction<T>(body: (repos: Repositories) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}
