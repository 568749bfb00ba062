import { fingerprint, pemToDer } from '@palyra/shared/x509';
import type { IdentityStore, NodeIdentity } from '../identity/index.js';
import type { IdentityHolder } from './IdentityHolder.js';
import { testPause } from './testPause.js';
import { sameTrust } from './trustBundle.js';

/** A renewed certificate, checked, ready to store. */
export interface RenewedCredentials {
  certPem: string;
  tlsPrivateKeyPem: string;
  certExpiresAt: string;
  /** The trust bundle that came with it (validated), when it differs from the stored one. */
  caBundlePem?: string;
}

/** SHA-256 (hex) of a PEM certificate. */
export function certFingerprint(certPem: string): string {
  return fingerprint(pemToDer(certPem, 'CERTIFICATE'));
}

/**
 * Every change to the node's identity after join goes through here, one at a time: stored in
 * the vault FIRST, then handed to the IdentityHolder (the connections). A crash between the
 * two leaves the vault ahead of the process, never behind: the next start uses what the vault
 * holds, and it always holds a certificate the daemon accepts (the new one, or the previous
 * one kept beside it until the daemon has seen the new).
 */
export class IdentityKeeper {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: IdentityStore,
    readonly holder: IdentityHolder,
  ) {}

  /**
   * Stores the renewed certificate and key, with the certificate they were renewed from
   * (`from`, default the one in use) kept as previous*, then switches the connections to them.
   * `from`, not the one in use now: the daemon keeps exactly that one as the node's previous
   * certificate (and deny-lists any other), and the one in use may have changed during the
   * renewal (a fallback).
   */
  switchTo(renewed: RenewedCredentials, from?: Pick<NodeIdentity, 'certPem' | 'tlsPrivateKeyPem' | 'certExpiresAt'>): Promise<NodeIdentity> {
    return this.serial(async () => {
      const identity = this.holder.current;
      const kept = from ?? identity;
      const next: NodeIdentity = {
        ...identity,
        certPem: renewed.certPem,
        tlsPrivateKeyPem: renewed.tlsPrivateKeyPem,
        certExpiresAt: renewed.certExpiresAt,
        ...(renewed.caBundlePem === undefined ? {} : { caCertPem: renewed.caBundlePem }),
        previousCertPem: kept.certPem,
        previousTlsPrivateKeyPem: kept.tlsPrivateKeyPem,
        previousCertExpiresAt: kept.certExpiresAt,
      };
      await this.store.save(next);
      await testPause('stored');
      this.holder.replace(next, 'credentials');
      return next;
    });
  }

  /**
   * RegisterNode succeeded with the certificate of fingerprint `presented`: when that is the
   * current one, the daemon has seen it, so the previous certificate and key are dropped.
   * True when something was dropped.
   */
  confirm(presented: string): Promise<boolean> {
    return this.serial(async () => {
      const identity = this.holder.current;
      if (identity.previousCertPem === undefined || certFingerprint(identity.certPem) !== presented) return false;
      const { previousCertPem: _cert, previousTlsPrivateKeyPem: _key, previousCertExpiresAt: _expires, ...rest } = identity;
      await this.store.save(rest);
      this.holder.replace(rest, 'trust');
      return true;
    });
  }

  /**
   * The daemon does not know the current certificate (it lost the renewal: a restored backup,
   * a crash before it recorded it): go back to the previous one while it is still valid. The
   * never-accepted certificate is dropped. False when there is no usable previous.
   */
  fallBack(now: Date): Promise<boolean> {
    return this.serial(async () => {
      const identity = this.holder.current;
      const { previousCertPem, previousTlsPrivateKeyPem, previousCertExpiresAt, ...rest } = identity;
      if (previousCertPem === undefined || previousTlsPrivateKeyPem === undefined || previousCertExpiresAt === undefined) return false;
      if (Date.parse(previousCertExpiresAt) <= now.getTime()) return false;
      const back: NodeIdentity = { ...rest, certPem: previousCertPem, tlsPrivateKeyPem: previousTlsPrivateKeyPem, certExpiresAt: previousCertExpiresAt };
      await this.store.save(back);
      this.holder.replace(back, 'credentials');
      return true;
    });
  }

  /** Stores a (validated) trust bundle when it trusts other CAs than the stored one; true when it did. */
  storeTrust(bundlePem: string): Promise<boolean> {
    return this.serial(async () => {
      const identity = this.holder.current;
      if (sameTrust(identity.caCertPem, bundlePem)) return false;
      const next: NodeIdentity = { ...identity, caCertPem: bundlePem };
      await this.store.save(next);
      this.holder.replace(next, 'trust');
      return true;
    });
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
