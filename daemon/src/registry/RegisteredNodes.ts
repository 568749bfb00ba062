import { RowTable } from './RowTable.js';
import type { NodeRecord } from './types.js';
import { timeOf } from './utils.js';

/**
 * The registered nodes in memory, by device id, certificate fingerprint (the current one and,
 * after a renewal the node has not confirmed yet, the previous one) and identity key, and
 * the lastSeen values newer than the stored ones: every session touches lastSeen, so those
 * are written in batches (nodes.setLastSeen) rather than one write per touch.
 */
export class RegisteredNodes {
  private readonly byFingerprint = new Map<string, Readonly<NodeRecord>>();
  /** How many nodes carry each ed25519 key (one, unless a store was edited by hand). */
  private readonly byKey = new Map<string, number>();
  /** lastSeen values newer than the committed records', by deviceId. */
  private readonly seen = new Map<string, string>();
  readonly table = new RowTable<NodeRecord>(
    (node) => node.deviceId,
    [
      {
        add: (n) => {
          this.byFingerprint.set(n.certFingerprint, n);
          if (n.previousCertFingerprint !== undefined) this.byFingerprint.set(n.previousCertFingerprint, n);
          this.byKey.set(n.ed25519PublicKey, (this.byKey.get(n.ed25519PublicKey) ?? 0) + 1);
        },
        remove: (n) => {
          if (this.byFingerprint.get(n.certFingerprint) === n) this.byFingerprint.delete(n.certFingerprint);
          const previous = n.previousCertFingerprint;
          if (previous !== undefined && this.byFingerprint.get(previous) === n) this.byFingerprint.delete(previous);
          const count = (this.byKey.get(n.ed25519PublicKey) ?? 1) - 1;
          if (count > 0) this.byKey.set(n.ed25519PublicKey, count);
          else this.byKey.delete(n.ed25519PublicKey);
        },
      },
    ],
  );

  /** The committed node whose current or previous certificate has this fingerprint (lowercase hex). */
  byCertFingerprint(fingerprint: string): Readonly<NodeRecord> | undefined {
    return this.byFingerprint.get(fingerprint);
  }

  hasKey(ed25519PublicKey: string): boolean {
    return this.byKey.has(ed25519PublicKey);
  }

  /** The record with its newest lastSeen, seen in memory but maybe not written yet. */
  withLastSeen(node: Readonly<NodeRecord>): Readonly<NodeRecord> {
    const seen = this.seen.get(node.deviceId);
    return seen === undefined ? node : Object.freeze({ ...node, lastSeen: seen });
  }

  /** Notes a newer lastSeen; false when the node is unknown or `when` is not newer. */
  touch(deviceId: string, when: Date): boolean {
    const node = this.table.get(deviceId);
    if (node === undefined) return false;
    const previous = this.seen.get(deviceId) ?? node.lastSeen;
    if (previous !== null && timeOf(previous) >= when.getTime()) return false;
    this.seen.set(deviceId, when.toISOString());
    return true;
  }

  /** The lastSeen values to write, for nodes still registered. */
  unwrittenLastSeen(): { deviceId: string; lastSeen: string }[] {
    return [...this.seen].filter(([deviceId]) => this.table.has(deviceId)).map(([deviceId, lastSeen]) => ({ deviceId, lastSeen }));
  }

  /** The newest lastSeen to write with a node record that is written anyway. */
  pendingLastSeen(deviceId: string): string | undefined {
    return this.seen.get(deviceId);
  }

  /**
   * After a commit: the written lastSeen values become the records' own, and the in-memory
   * ones that were written are dropped. Newer touches stay.
   */
  lastSeenWritten(entries: readonly { deviceId: string; lastSeen: string }[]): void {
    const updated = new Map<string, NodeRecord>();
    for (const { deviceId, lastSeen } of entries) {
      const node = this.table.get(deviceId);
      if (node !== undefined && (node.lastSeen === null || timeOf(node.lastSeen) < timeOf(lastSeen))) updated.set(deviceId, { ...node, lastSeen });
    }
    this.table.apply(updated);
    for (const { deviceId, lastSeen } of entries) {
      if (this.seen.get(deviceId) === lastSeen) this.seen.delete(deviceId);
    }
  }

  /** Drops the in-memory lastSeen of a node that is gone. */
  forgetLastSeen(deviceId: string): void {
    this.seen.delete(deviceId);
  }
}
