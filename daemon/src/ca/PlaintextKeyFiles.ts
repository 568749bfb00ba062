import type { StateDirectory } from '@palyra/shared/fs';
import type { CaKeyStore } from './types.js';

/**
 * The first slice's key layout: `ca.key` and `server.key` as 0600 PEM files in the state
 * directory (no symlinks, refused when group or others can read them). The daemon no longer
 * writes keys this way; it reads them to migrate them into its vault.
 */
export class PlaintextKeyFiles implements CaKeyStore {
  constructor(private readonly state: StateDirectory) {}

  read(name: string): Promise<Buffer | null> {
    return this.state.readSecret(name);
  }

  create(name: string, pem: string): Promise<boolean> {
    return this.state.createExclusive(name, pem, 0o600);
  }

  replace(name: string, pem: string): Promise<void> {
    return this.state.replace(name, pem, 0o600);
  }

  where(name: string): string {
    return this.state.file(name);
  }
}
