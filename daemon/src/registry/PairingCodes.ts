import { PalyraError } from '@palyra/shared/errors';
import { checked, invalid } from './errors.js';
import { CommitThenThrow, type Transaction } from './RegistryTransaction.js';
import { RowTable, type RowDraft } from './RowTable.js';
import {
  MAX_PIN_ATTEMPTS,
  MAX_SUPERSEDED_PIN_CANDIDATES,
  type PairingCodeDerivation,
  type PairingCodeRecord,
  type UsablePairingCode,
} from './types.js';
import { expired, isoAfter, timeOf } from './utils.js';
import { validateCodeDerivation, validatePairingCode } from './validation.js';

const MINT_HINT = 'ask the operator for a new one (palyrad pairing code --method pin)';

/**
 * A new code, with its derivation (kept in memory only). The registry sets `attempts` to 0
 * and `state` to 'active'.
 */
export type NewPairingCode = Omit<PairingCodeRecord, 'createdAt' | 'expiresAt' | 'attempts' | 'state'> &
  PairingCodeDerivation & {
  /** Default: now. */
  createdAt?: string;
  /** Default: createdAt + ttlMs. */
  expiresAt?: string;
  ttlMs?: number;
  attempts?: 0;
  state?: 'active';
};

/**
 * The pairing codes in memory, and what CPace is keyed with for those that can still run an
 * exchange (their derivations). Derivations are never written to the store: a copy of the
 * database (a backup, a stolen disk) must not let anyone pair while a code is active, so a
 * restart ends every active code (see load).
 */
export class PairingCodes {
  readonly table = new RowTable<PairingCodeRecord>((code) => code.id);
  private readonly derivations = new Map<string, PairingCodeDerivation>();

  // ---------------------------------------------------------------- mutations (in a Transaction)

  /**
   * Adds an active code in `tx`. A PIN supersedes the active PIN, if any (a CPace attempt
   * cannot say which PIN it is for without leaking it, so only one may be active).
   */
  add(tx: Transaction, input: NewPairingCode, defaultTtlMs: number): { code: PairingCodeRecord; superseded: boolean } {
    const createdAt = input.createdAt ?? tx.now.toISOString();
    const derivation = checked('pairing code', () => validateCodeDerivation({ prs: input.prs, salt: input.salt }, 'code'));
    const code = checked('pairing code', () =>
      validatePairingCode(
        {
          id: input.id,
          method: input.method,
          createdAt,
          expiresAt: input.expiresAt ?? isoAfter(new Date(createdAt), input.ttlMs ?? defaultTtlMs),
          attempts: 0,
          state: 'active',
        },
        'code',
      ),
    );
    if ((input.attempts ?? 0) !== 0 || (input.state ?? 'active') !== 'active') {
      throw invalid('a new pairing code starts active with 0 attempts');
    }
    if (timeOf(code.expiresAt) <= tx.now.getTime()) throw invalid(`pairing code expiresAt ${code.expiresAt} is not in the future`);
    if (tx.codes.get(code.id) !== undefined) throw invalid(`a pairing code with id ${code.id} exists already`);
    let superseded = false;
    if (code.method === 'pin') {
      for (const active of [...tx.codes.values()].filter((c) => c.method === 'pin' && c.state === 'active')) {
        const other = tx.codes.edit(active.id) as PairingCodeRecord;
        if (expired(other.expiresAt, tx.now)) {
          other.state = 'expired';
        } else {
          other.state = 'superseded';
          superseded = true;
        }
      }
    }
    tx.codes.put(code);
    // Only used once the code is committed (every lookup goes through the table first); a
    // failed write leaves an entry the next commit of codes sweeps away.
    this.remember(code.id, derivation);
    return { code, superseded };
  }

  /** The active PIN with its derivation, or the error for the latest PIN's fate (see NodeRegistry.activePinCode). */
  activePin(tx: Transaction): UsablePairingCode | CommitThenThrow {
    const pins = [...tx.codes.values()].filter((c) => c.method === 'pin' && c.state !== 'superseded');
    const active = pins.find((c) => c.state === 'active');
    if (active !== undefined) {
      const code = tx.codes.edit(active.id) as PairingCodeRecord;
      const problem = checkUsable(code, tx.now);
      return problem === undefined ? this.usable(code) : new CommitThenThrow(problem);
    }
    const latest = pins.reduce<Readonly<PairingCodeRecord> | undefined>(
      (a, c) => (a === undefined || timeOf(c.createdAt) >= timeOf(a.createdAt) ? c : a),
      undefined,
    );
    throw latest === undefined
      ? new PalyraError('PALYRA_E_PAIRING_NO_CODE', `no pairing code is active: ${MINT_HINT}`)
      : codeProblem(latest);
  }

  /** The PIN `id` for an exchange that named it: the active PIN or a superseded candidate. */
  forExchange(tx: Transaction, id: string): UsablePairingCode | CommitThenThrow {
    const code = findCode(tx, id);
    if (code.method !== 'pin') throw new PalyraError('PALYRA_E_PAIRING_NO_CODE', 'no PIN pairing code has this id');
    if (this.isCandidate(code, tx.now)) return this.usable(code);
    const problem = checkUsable(code, tx.now);
    return problem === undefined ? this.usable(code) : new CommitThenThrow(problem);
  }

  /** The code `id` if it is active; otherwise the error for its state. */
  findActive(tx: Transaction, id: string): UsablePairingCode | CommitThenThrow {
    const code = findCode(tx, id);
    const problem = checkUsable(code, tx.now);
    return problem === undefined ? this.usable(code) : new CommitThenThrow(problem);
  }

  /** Counts an attempt (see NodeRegistry.recordAttempt). */
  recordAttempt(tx: Transaction, codeId: string): UsablePairingCode | CommitThenThrow {
    const code = findCode(tx, codeId);
    // A superseded candidate counts its own attempts (and stops being one at the limit); it
    // never pairs: consumeCode refuses it.
    if (!this.isCandidate(code, tx.now)) {
      const problem = checkUsable(code, tx.now);
      if (problem !== undefined) return new CommitThenThrow(problem);
    }
    // Taken before the count: the attempt that burns the code still runs its exchange.
    const usable = this.usable(code);
    code.attempts += 1;
    if (code.attempts >= MAX_PIN_ATTEMPTS && code.state === 'active') code.state = 'burned';
    return { ...usable, attempts: code.attempts, state: code.state };
  }

  /** Marks the code used after a successful exchange (see NodeRegistry.consumeCode). */
  consume(tx: Transaction, codeId: string): PairingCodeRecord | CommitThenThrow {
    const code = findCode(tx, codeId);
    if (code.state !== 'burned') {
      const problem = checkUsable(code, tx.now);
      if (problem !== undefined) return new CommitThenThrow(problem);
    }
    code.state = 'used';
    return code;
  }

  // ---------------------------------------------------------------- state

  /**
   * Loads the stored codes, ending the active ones as of `now` (no derivation survived the
   * restart). Returns the ids of the codes it ended: the store still says active.
   */
  load(codes: readonly PairingCodeRecord[], now: Date): string[] {
    const ended: string[] = [];
    const rows = new Map<string, PairingCodeRecord>();
    for (const code of codes) {
      if (code.state === 'active') {
        rows.set(code.id, { ...code, state: 'expired', expiresAt: timeOf(code.expiresAt) > now.getTime() ? now.toISOString() : code.expiresAt });
        ended.push(code.id);
      } else {
        rows.set(code.id, code);
      }
    }
    this.table.apply(rows);
    return ended;
  }

  /** Remembers a new code's derivation; only used once the code is committed (lookups go through the table). */
  remember(id: string, derivation: PairingCodeDerivation): void {
    this.derivations.set(id, { prs: derivation.prs, salt: derivation.salt });
  }

  /**
   * The code with its derivation. An active code always has one (codes loaded from the store
   * were ended at start); a missing one is a bug, reported as such rather than keyed with junk.
   */
  usable(code: Readonly<PairingCodeRecord>): UsablePairingCode {
    const derivation = this.derivations.get(code.id);
    if (derivation === undefined) throw new PalyraError('PALYRA_E_INTERNAL', `pairing code ${code.id} has no derivation in memory`);
    return { ...code, prs: derivation.prs, salt: derivation.salt };
  }

  /** A superseded PIN that may still run an exchange (see candidates). */
  isCandidate(code: Readonly<PairingCodeRecord>, now: Date): boolean {
    return (
      code.method === 'pin' &&
      code.state === 'superseded' &&
      code.attempts < MAX_PIN_ATTEMPTS &&
      timeOf(code.expiresAt) > now.getTime() &&
      this.derivations.has(code.id)
    );
  }

  /** Ids of the superseded PINs a node may still try, newest first (at most MAX_SUPERSEDED_PIN_CANDIDATES). */
  candidates(now: Date): string[] {
    return [...this.table.values()]
      .filter((c) => this.isCandidate(c, now))
      .sort((a, b) => timeOf(b.createdAt) - timeOf(a.createdAt))
      .slice(0, MAX_SUPERSEDED_PIN_CANDIDATES)
      .map((c) => c.id);
  }

  /**
   * Drops the derivations no code needs any more, after a commit that changed codes: active
   * codes and the newest superseded PINs that may still be tried keep theirs. Also sweeps the
   * derivation of a code whose write failed.
   */
  forgetSpent(now: Date): void {
    const live = new Set(this.candidates(now));
    for (const code of this.table.values()) if (code.state === 'active') live.add(code.id);
    for (const id of this.derivations.keys()) {
      if (!live.has(id)) this.derivations.delete(id);
    }
  }

  /** Deletes (in the draft) spent codes older than `cutoff`, keeping at most `maxRetained`. Active codes stay. */
  prune(draft: RowDraft<PairingCodeRecord>, cutoff: number, maxRetained: number): void {
    const age = (c: Readonly<PairingCodeRecord>): number => Math.max(timeOf(c.createdAt), timeOf(c.expiresAt));
    const spent = [...draft.values()].filter((c) => c.state !== 'active');
    const kept = new Set(
      spent
        .filter((c) => age(c) >= cutoff)
        .sort((a, b) => age(b) - age(a))
        .slice(0, maxRetained),
    );
    for (const code of spent) if (!kept.has(code)) draft.delete(code.id);
  }
}

/** The code `id`, as `tx` may change it. */
function findCode(tx: Transaction, id: string): PairingCodeRecord {
  const code = tx.codes.edit(id);
  if (code === undefined) {
    throw new PalyraError('PALYRA_E_PAIRING_NO_CODE', `no pairing code with id ${id}: ${MINT_HINT}`);
  }
  return code;
}

/** Flips an active code past its expiry to 'expired'; returns the error for an unusable code. */
function checkUsable(code: PairingCodeRecord, now: Date): PalyraError | undefined {
  if (code.state === 'active' && expired(code.expiresAt, now)) code.state = 'expired';
  return code.state === 'active' ? undefined : codeProblem(code);
}

function codeProblem(code: Readonly<PairingCodeRecord>): PalyraError {
  switch (code.state) {
    case 'active':
      throw new Error('codeProblem() called for an active code');
    case 'expired':
      return new PalyraError(
        'PALYRA_E_PAIRING_CODE_EXPIRED',
        `the pairing code expired at ${code.expiresAt} (codes also end when the daemon restarts): ${MINT_HINT}`,
      );
    case 'burned':
      return new PalyraError(
        'PALYRA_E_PAIRING_CODE_BURNED',
        `the pairing code was burned after ${MAX_PIN_ATTEMPTS} attempts: ${MINT_HINT}`,
      );
    case 'used':
      return new PalyraError('PALYRA_E_PAIRING_CODE_USED', `the pairing code was already used: ${MINT_HINT}`);
    case 'superseded':
      return new PalyraError('PALYRA_E_PAIRING_NO_CODE', `the pairing code was replaced by a newer one: use the latest PIN`);
  }
}
