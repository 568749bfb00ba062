import type { NodeIdentity } from '../identity/index.js';

/** Why the identity changed: `credentials` means a new certificate/key (connections must reconnect), `trust` only the CA bundle or bookkeeping. */
export type IdentityChange = 'credentials' | 'trust';

/**
 * The node identity the agent's connections use right now. Renewal replaces it; the gRPC
 * connection and the QUIC health channel read `current` at each connect and listen for
 * `credentials` changes to reconnect with the new certificate. In memory only: IdentityKeeper
 * stores every change in the vault before it reaches this.
 */
export class IdentityHolder {
  private identity: NodeIdentity;
  private readonly listeners = new Set<(identity: NodeIdentity, change: IdentityChange) => void>();

  constructor(identity: NodeIdentity) {
    this.identity = identity;
  }

  get current(): NodeIdentity {
    return this.identity;
  }

  /** Calls `listener` on every change; returns the function that removes it. */
  onChange(listener: (identity: NodeIdentity, change: IdentityChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  replace(identity: NodeIdentity, change: IdentityChange): void {
    this.identity = identity;
    for (const listener of [...this.listeners]) listener(identity, change);
  }
}
