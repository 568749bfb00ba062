import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { derivePinPrs, deriveQrPrs } from '@palyra/shared/pairing';
import type { NodeRegistry } from '../registry/index.js';

export interface MintedQrCode {
  codeId: string;
  token: Uint8Array;
  expiresAt: Date;
}

export interface MintedPinCode {
  pin: string;
  expiresAt: Date;
  supersededPrevious: boolean;
}

/**
 * Mints pairing codes. The PIN or QR token is returned to the operator once and never
 * stored: only its derivation (what CPace is keyed with) and the salt are persisted.
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

  /**
   * A QR code: a 128-bit single-use token. Several QR codes may be active at once, because
   * the node names the code by id (the token stays secret); high entropy needs no slow hash.
   */
  async mintQr({ ttlMs, signal }: { ttlMs: number; signal?: AbortSignal }): Promise<MintedQrCode> {
    const token = randomBytes(16);
    const salt = randomBytes(16);
    const createdAt = this.now();
    const expiresAt = new Date(createdAt.getTime() + ttlMs);
    const codeId = randomUUID();
    await this.registry.addPairingCode(
      {
        id: codeId,
        method: 'qr',
        prs: Buffer.from(deriveQrPrs(token, salt)).toString('base64'),
        salt: salt.toString('base64'),
        createdAt: createdAt.toISOString(),
        expiresAt: expiresAt.toISOString(),
        attempts: 0,
        state: 'active',
      },
      { signal },
    );
    return { codeId, token, expiresAt };
  }
}
