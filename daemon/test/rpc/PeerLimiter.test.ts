import { describe, expect, it } from 'vitest';
import { PeerLimiter, addressKey, peerAddress } from '../../src/rpc/PeerLimiter.js';

describe('PeerLimiter', () => {
  it('refuses over the per-address cap, then over the total, and frees a slot once per release', () => {
    const limiter = new PeerLimiter({ total: 3, perAddress: 2 }, 'test');
    const a1 = limiter.admit('10.0.0.1');
    const a2 = limiter.admit('10.0.0.1');
    expect(limiter.admit('10.0.0.1')).toEqual({ ok: false, limit: 'perAddress', held: 2, address: '10.0.0.1' });
    expect(limiter.admit('10.0.0.2').ok).toBe(true);
    expect(limiter.admit('10.0.0.3')).toMatchObject({ ok: false, limit: 'total', held: 3 });
    if (!a1.ok || !a2.ok) throw new Error('admitted');
    a1.release();
    a1.release();
    expect(limiter.size).toBe(2);
    expect(limiter.admit('10.0.0.1').ok).toBe(true);
    expect(limiter.admit('10.0.0.4').ok).toBe(false);
  });

  it('counts an IPv6 peer per /64 and an IPv4-mapped address as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey(undefined)).toBe('unknown');
  });

  it("reads the address of grpc-js's getPeer()", () => {
    expect(peerAddress('127.0.0.1:50123')).toBe('127.0.0.1');
    expect(peerAddress('::1:50123')).toBe('::1');
    expect(peerAddress('[::1]:50123')).toBe('::1');
    expect(peerAddress('unknown')).toBe('unknown');
  });

  it('refuses caps that are not positive integers', () => {
    expect(() => new PeerLimiter({ total: 0, perAddress: 1 }, 'test')).toThrow(/positive integer/);
  });
});
