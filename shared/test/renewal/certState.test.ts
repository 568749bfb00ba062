import { describe, expect, it } from 'vitest';
import { certState } from '../../src/renewal/index.js';

const HOUR = 3_600_000;
const issuedAt = new Date('2026-01-01T00:00:00.000Z');
const expiresAt = new Date(issuedAt.getTime() + 24 * HOUR);
const at = (hours: number): Date => new Date(issuedAt.getTime() + hours * HOUR);

describe('certState', () => {
  it('names each phase of a 24 h certificate', () => {
    expect(certState({ issuedAt, expiresAt }, { now: at(1) })).toBe('valid');
    expect(certState({ issuedAt, expiresAt }, { now: at(1), renewing: true })).toBe('renewing');
    expect(certState({ issuedAt, expiresAt }, { now: at(21) })).toBe('expiring');
    expect(certState({ issuedAt, expiresAt }, { now: at(25), graceMs: 24 * HOUR })).toBe('in_grace');
    expect(certState({ issuedAt, expiresAt }, { now: at(49), graceMs: 24 * HOUR })).toBe('expired');
    expect(certState({ issuedAt, expiresAt }, { now: at(24) })).toBe('expired');
  });

  it('takes 30 days as the lifetime of a record without its issue time', () => {
    const end = new Date('2026-02-01T00:00:00.000Z');
    expect(certState({ expiresAt: end }, { now: new Date(end.getTime() - 6 * 24 * HOUR) })).toBe('valid');
    expect(certState({ expiresAt: end.toISOString() }, { now: new Date(end.getTime() - 4 * 24 * HOUR) })).toBe('expiring');
  });
});
