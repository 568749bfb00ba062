export interface TlsMaterial {
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

/** Holds the node port's CA and server identity; update() swaps them without a restart. */
export class TlsCertificateProvider {
  private current: TlsMaterial;
  private readonly listeners = new Set<(material: TlsMaterial) => void>();

  constructor(material: TlsMaterial) {
    this.current = material;
  }

  get material(): TlsMaterial {
    return this.current;
  }

  /** Swaps certificates without restarting the server. */
  update(material: TlsMaterial): void {
    this.current = material;
    for (const listener of this.listeners) listener(material);
  }

  /** Calls `listener` on every update (not with the current material); returns the unsubscribe. */
  onUpdate(listener: (material: TlsMaterial) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
