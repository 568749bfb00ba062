import type { PairingRequestRecord, RevokedCertRecord } from './types.js';
import type { CertificateRenewal } from './renewCertificate.js';

export type RequestListener = (request: Readonly<PairingRequestRecord>) => void;
export type RevocationListener = (record: Readonly<RevokedCertRecord>) => void;
export type RenewalListener = (renewal: Readonly<CertificateRenewal>) => void;

/**
 * Who is told about committed registry changes. A listener that throws is reported to
 * `onError` and the others still run: a change that was written must reach everyone who
 * closes connections or publishes events on it.
 */
export class RegistryListeners {
  // Wrapped in an entry so that the same function added twice is two subscriptions, each
  // removed by its own unsubscribe.
  private readonly request = new Set<{ listener: RequestListener }>();
  private readonly revocation = new Set<{ listener: RevocationListener }>();
  private readonly renewal = new Set<{ listener: RenewalListener }>();

  constructor(private readonly onError: (error: unknown) => void) {}

  onRequestChange(listener: RequestListener): () => void {
    return subscribe(this.request, listener);
  }

  onRevoked(listener: RevocationListener): () => void {
    return subscribe(this.revocation, listener);
  }

  onCertificateRenewed(listener: RenewalListener): () => void {
    return subscribe(this.renewal, listener);
  }

  requestChanged(request: Readonly<PairingRequestRecord>): void {
    this.emit(this.request, request);
  }

  revoked(record: Readonly<RevokedCertRecord>): void {
    this.emit(this.revocation, record);
  }

  renewed(renewal: Readonly<CertificateRenewal>): void {
    this.emit(this.renewal, renewal);
  }

  private emit<T>(listeners: Set<{ listener: (value: T) => void }>, value: T): void {
    // A copy: a listener may unsubscribe (itself or another) while it runs.
    for (const { listener } of [...listeners]) {
      try {
        listener(value);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}

function subscribe<L>(listeners: Set<{ listener: L }>, listener: L): () => void {
  const entry = { listener };
  listeners.add(entry);
  return () => {
    listeners.delete(entry);
  };
}
