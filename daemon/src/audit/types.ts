/**
 * What the audit log records (docs/security.md, "Audit log"). Every decision and action, with
 * who did it; never a secret: no pairing code, token secret or dispatch input (only its hash
 * and size).
 */
export type AuditAction =
  | 'pairing.code.create'
  | 'pairing.request'
  | 'pairing.approve'
  | 'pairing.reject'
  | 'pairing.expire'
  | 'identity.change'
  | 'cert.issue'
  | 'cert.renew'
  | 'cert.revoke'
  | 'node.remove'
  /** An operator set or removed node labels (LabelNode). */
  | 'node.label'
  | 'node.renew.request'
  | 'ca.rotate'
  | 'ca.finish'
  | 'token.create'
  | 'token.revoke'
  | 'auth.denied'
  | 'dispatch'
  | 'dispatch.cancel'
  | 'audit.verify'
  /** The daemon found a torn last line (a crash mid-write) and moved its bytes aside. */
  | 'audit.recovered'
  /** The daemon found a tail that does not verify and started a new chain segment after the last good entry. */
  | 'audit.chain_break';

/**
 * Who acted: the admin socket's owner, an API token, a node (a pairing request, a renewal),
 * or the daemon itself (auto-approval, expiry).
 */
export type AuditActor =
  | { kind: 'local'; uid: number }
  | { kind: 'token'; tokenId: string; tokenName: string }
  | { kind: 'node'; deviceId: string }
  | { kind: 'daemon' };

export interface AuditRecord {
  action: AuditAction;
  actor: AuditActor;
  /** "ok", or how it ended: "refused", "failed", a dispatch's final status ("succeeded", "timed_out"...). */
  outcome: string;
  /** The node acted on or acting, when there is one. */
  node?: string;
  capability?: string;
  /** A dispatch's input: its SHA-256 (hex) and size in bytes, never the input itself. */
  inputSha256?: string;
  inputBytes?: number;
  durationMs?: number;
  /** Where the call came from: "unix", or host:port. */
  remoteAddress?: string;
  /** The error code when the action failed or was refused. */
  errorCode?: string;
  /** Further facts, bounded and secret-free (token id and role, certificate fingerprint, dispatch id...). */
  details?: Record<string, string | number | boolean>;
}

/** One stored entry: the record, its place in the chain and its time. */
export interface AuditEntry extends AuditRecord {
  seq: number;
  /** RFC 3339 with milliseconds. */
  at: string;
  /** The chain value of the entry before (hex); the first entry's is 64 zeros. */
  prev: string;
  /** HMAC-SHA-256 chain value of this entry (hex), see AuditLog. */
  hash: string;
}

/**
 * Where services write audit records. `append` resolves once the entry is durable (fsynced):
 * callers await it before they return the action's result.
 */
export interface AuditSink {
  append(record: AuditRecord, options?: { signal?: AbortSignal }): Promise<void>;
}

