import { RowTable, type RowDraft } from './RowTable.js';
import type { PairingRequestRecord } from './types.js';
import { timeOf } from './utils.js';

/**
 * The pairing requests in memory, with what the per-request checks look up: the pending
 * request of each device, and the identity keys of approved requests (a request with one of
 * those keys is a re-pair).
 */
export class PairingRequests {
  private readonly pendingByDevice = new Map<string, Readonly<PairingRequestRecord>>();
  /** How many approved requests carry each ed25519 key. */
  private readonly approvedKeys = new Map<string, number>();
  readonly table = new RowTable<PairingRequestRecord>(
    (request) => request.requestId,
    [
      {
        add: (r) => {
          if (r.state === 'pending_approval') this.pendingByDevice.set(r.deviceId, r);
          if (r.state === 'approved') this.approvedKeys.set(r.ed25519PublicKey, (this.approvedKeys.get(r.ed25519PublicKey) ?? 0) + 1);
        },
        remove: (r) => {
          if (r.state === 'pending_approval' && this.pendingByDevice.get(r.deviceId) === r) this.pendingByDevice.delete(r.deviceId);
          if (r.state === 'approved') {
            const count = (this.approvedKeys.get(r.ed25519PublicKey) ?? 1) - 1;
            if (count > 0) this.approvedKeys.set(r.ed25519PublicKey, count);
            else this.approvedKeys.delete(r.ed25519PublicKey);
          }
        },
      },
    ],
  );

  /** The committed pending request of `deviceId`. */
  pendingOf(deviceId: string): Readonly<PairingRequestRecord> | undefined {
    return this.pendingByDevice.get(deviceId);
  }

  /** The committed pending requests, oldest first. */
  pending(): Readonly<PairingRequestRecord>[] {
    return [...this.pendingByDevice.values()].sort((a, b) => timeOf(a.requestedAt) - timeOf(b.requestedAt));
  }

  /** Whether a committed approved request carries this identity key. */
  wasApproved(ed25519PublicKey: string): boolean {
    return this.approvedKeys.has(ed25519PublicKey);
  }

  /** Deletes (in the draft) decided requests older than `cutoff`, keeping at most `maxRetained`. Pending ones stay. */
  prune(draft: RowDraft<PairingRequestRecord>, cutoff: number, maxRetained: number): void {
    const age = (r: Readonly<PairingRequestRecord>): number => timeOf(r.decidedAt ?? r.requestedAt);
    const decided = [...draft.values()].filter((r) => r.state !== 'pending_approval');
    const kept = new Set(
      decided
        .filter((r) => age(r) >= cutoff)
        .sort((a, b) => age(b) - age(a))
        .slice(0, maxRetained),
    );
    for (const request of decided) if (!kept.has(request)) draft.delete(request.requestId);
  }
}
