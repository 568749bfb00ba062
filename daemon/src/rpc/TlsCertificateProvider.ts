import type { experimental } from '@grpc/grpc-js';

type CertificateProvider = experimental.CertificateProvider;
type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

export interface TlsMaterial {
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

/**
 * Feeds the gRPC server its CA and identity. One object serves as both providers: grpc-js
 * 1.14.7 swaps the two arguments of createCertificateProviderServerCredentials, so passing
 * the same provider twice is the only order-proof way. Listeners are notified on the next
 * tick because grpc-js registers them while it is still constructing its state.
 */
export class TlsCertificateProvider implements CertificateProvider {
  private material: TlsMaterial;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  constructor(material: TlsMaterial) {
    this.material = material;
  }

  /** Swaps certificates without restarting the server. */
  update(material: TlsMaterial): void {
    this.material = material;
    for (const listener of this.caListeners) this.notifyCa(listener);
    for (const listener of this.identityListeners) this.notifyIdentity(listener);
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    this.notifyCa(listener);
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    this.notifyIdentity(listener);
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  private notifyCa(listener: CaListener): void {
    const caCertificate = Buffer.from(this.material.caCertPem);
    process.nextTick(() => listener({ caCertificate }));
  }

  private notifyIdentity(listener: IdentityListener): void {
    const update = { certificate: Buffer.from(this.material.serverCertPem), privateKey: Buffer.from(this.material.serverKeyPem) };
    process.nextTick(() => listener(update));
  }
}
