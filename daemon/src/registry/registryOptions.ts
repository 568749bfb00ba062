/** How a NodeRegistry is tuned, and the per-call options its methods take. */

export interface NodeRegistryOptions {
  /** Clock; inject one in tests. */
  now?: () => Date;
  /** A code without `expiresAt`/`ttlMs` lives this long. Default 10 min. */
  codeTtlMs?: number;
  /** A request without `expiresAt`/`ttlMs` waits this long for a decision. Default 15 min. */
  requestTtlMs?: number;
  /** lastSeen updates are written at most this often (and on flush). Default 5 s. */
  lastSeenFlushMs?: number;
  /** Decided requests and spent codes are kept this long... Default 7 days. */
  retentionMs?: number;
  /** ...and at most this many of each. Default 1000. */
  maxRetained?: number;
  /** Errors nobody awaits: a background lastSeen write, a throwing listener. Default: a process warning. */
  onError?: (error: unknown) => void;
}

export interface SignalOption {
  signal?: AbortSignal;
}

export interface WithdrawOptions extends SignalOption {
  /**
   * Withdraw in memory even when the store cannot record it (the error is still thrown): for
   * requests left pending by a previous run, which must never be approved (see Daemon).
   */
  evenIfUnsaved?: boolean;
}

export interface ApproveOptions extends SignalOption {
  /**
   * The operator knows the request is an identity change (identityChangeOf) and wants the
   * registered node replaced. Without it, approving one fails with PALYRA_E_IDENTITY_CHANGE.
   */
  replaceIdentity?: boolean;
}

export interface RenewOptions extends SignalOption {
  path: 'mtls' | 'grace';
}
