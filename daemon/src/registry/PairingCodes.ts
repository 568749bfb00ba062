import { PalyraError } from '@palyra/shared/errors';
import { RowTable, type RowDraft } from './RowTable.js';
import {
  MAX_PIN_ATTEMPTS,
  MAX_SUPERSEDED_PIN_CANDIDATES,
  type PairingCodeDerivation,
  type PairingCodeRecord,
  type UsablePairingCode,
} from './types.js';
import { timeOf } from './utils.js';

/**
 * The pairing codes in memory, and what CPace is keyed with for those that can still run an
 * exchange (their derivations). Derivations are never written to the store: a copy of the
 * database (a backup, a stolen disk) must not let anyone pair while a code is active, so a
 * restart ends every active code (endActiveAtLoad).
 */
export class PairingCodes {
  readonly table = new RowTable<PairingCodeRecord>((code) => code.id);
  private readonly derivations = new Map<string, PairingCodeDerivation>();

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
