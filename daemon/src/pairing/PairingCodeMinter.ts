import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { derivePinPrs } from '@palyra/shared';
import type { NodeRegistry } from '../registry/index.js';

export interface MintedPinCode {
  pin: string;
  expiresAt: Date;
  supersededPrevious: boolean;
}

/**
 * Mints PIN pairing codes. The PIN is returned to the operator once and never stored: only
 * its scrypt derivation (what CPace is keyed with) and the salt are persisted.
 */
export class PairingCodeMinter {
  constructor(
    private readonly registry: NodeRegistry,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async mintPin({ ttlMs, signal }: { ttlMs: number; signal?: AbortSignal }): Promise<MintedPinCode> {
    const pin = randomInt(0, 1_000_000).toString().padStart(6, '0');
    const salt = randomBytes(16);
    const prs = await derivePinPrs(pin, salt, { signal });
    const createdAt = this.now();
    const expiresAt = new Date(createdAt.getTime() + ttlMs);
    const { superseded } = await this.registry.addPairingCode({
      id: randomUUID(),
      method: 'pin',
      prs: Buffer.from(prs).toString('base64'),
      salt: salt.toString('base64'),
      createdAt: createdAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
      attempts: 0,
      state: 'active',
    });
    return { pin, expiresAt, supersededPrevious: superseded };
  }
}
