import { isIPv4, isIPv6 } from 'node:net';
import { PalyraError } from '@palyra/shared/errors';

export interface PeerLimits {
  /** Held at once in total. */
  total: number;
  /** Held at once per remote address (an IPv6 peer: per /64). */
  perAddress: number;
}

export type Admission = { ok: true; release: () => void } | { ok: false; limit: 'total' | 'perAddress'; held: number; address: string };

/**
 * Counts what peers hold at once (connections, pairing exchanges) in total and per remote
 * address, and refuses the one over either cap. An IPv6 peer usually controls a whole /64,
 * so IPv6 addresses count per /64; an IPv4-mapped address counts as the IPv4 address.
 */
export class PeerLimiter {
  private readonly byAddress = new Map<string, number>();
  private held = 0;

  constructor(
    readonly limits: PeerLimits,
    what: string,
  ) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the ${what} cap (${name}) must be a positive integer, got ${String(value)}`);
      }
    }
  }

  get size(): number {
    return this.held;
  }

  admit(remoteAddress: string | undefined): Admission {
    const address = addressKey(remoteAddress);
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (this.held >= this.limits.total) return { ok: false, limit: 'total', held: this.held, address };
    if (fromAddress >= this.limits.perAddress) return { ok: false, limit: 'perAddress', held: fromAddress, address };
    this.held += 1;
    this.byAddress.set(address, fromAddress + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.held -= 1;
        const left = (this.byAddress.get(address) ?? 1) - 1;
        if (left === 0) this.byAddress.delete(address);
        else this.byAddress.set(address, left);
      },
    };
  }
}

/** The address a peer's share of a cap is counted under. */
export function addressKey(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined || remoteAddress === '') return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (isIPv4(remoteAddress) || !isIPv6(remoteAddress)) return remoteAddress;
  return `${expandIPv6(remoteAddress).slice(0, 4).join(':')}::/64`;
}

/** The remote address of a grpc-js call: getPeer() is `ADDRESS:PORT` (IPv6 unbracketed). */
export function peerAddress(peer: string): string {
  const colon = peer.lastIndexOf(':');
  if (colon <= 0) return peer;
  const address = peer.slice(0, colon);
  return /^\d+$/.test(peer.slice(colon + 1)) ? address.replace(/^\[(.*)\]$/, '$1') : peer;
}

function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('%')[0]?.split('::') ?? [''];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = Math.max(0, 8 - left.length - right.length);
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''));
}
