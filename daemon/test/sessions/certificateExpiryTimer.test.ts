import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PalyraError } from '@palyra/shared/errors';
import { certificateExpiryTimer } from '../../src/sessions/certificateExpiryTimer.js';
import { SessionManager, type LiveSession } from '../../src/sessions/SessionManager.js';

const DAY = 86_400_000;

describe('certificateExpiryTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires once at expiry by the injected clock, also past setTimeout\'s 24.8-day limit', () => {
    let now = Date.parse('2026-01-01T00:00:00.000Z');
    const fired: number[] = [];
    certificateExpiryTimer(new Date(now + 365 * DAY), () => fired.push(now), { now: () => new Date(now) });
    for (let day = 0; day < 364; day += 1) {
      now += DAY;
      vi.advanceTimersByTime(DAY);
    }
    expect(fired).toEqual([]);
    now += DAY;
    vi.advanceTimersByTime(DAY);
    expect(fired).toHaveLength(1);
    vi.advanceTimersByTime(100 * DAY);
    expect(fired).toHaveLength(1);
  });

  it('fires at once for a certificate already expired; never once cancelled', () => {
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    let expired = 0;
    certificateExpiryTimer(new Date(now - 1), () => (expired += 1), { now: () => new Date(now) });
    expect(expired).toBe(1);
    const timer = certificateExpiryTimer(new Date(now + 1_000), () => (expired += 1), { now: () => new Date(now) });
    timer.cancel();
    vi.advanceTimersByTime(5_000);
    expect(expired).toBe(1);
  });
});

describe('SessionManager.closeFingerprint', () => {
  function session(deviceId: string, fingerprint: string, closed: PalyraError[]): LiveSession {
    return { deviceId, fingerprint, remoteAddress: '127.0.0.1:1', openedAt: new Date(), send: () => undefined, close: (error) => closed.push(error) };
  }

  it('closes the session of that certificate only: a replaced session is not found by its old fingerprint', () => {
    const sessions = new SessionManager();
    const closed: PalyraError[] = [];
    const old = session('A', 'f-old', closed);
    const renewed = session('A', 'f-new', closed);
    sessions.attach(old, new PalyraError('PALYRA_E_PERMISSION_DENIED', 'replaced'));
    sessions.attach(renewed, new PalyraError('PALYRA_E_PERMISSION_DENIED', 'replaced'));
    expect(closed.map((e) => e.message)).toEqual(['replaced']);
    sessions.closeFingerprint('f-old', new PalyraError('PALYRA_E_PERMISSION_DENIED', 'revoked'));
    expect(sessions.get('A')).toBe(renewed);
    sessions.closeFingerprint('F-NEW', new PalyraError('PALYRA_E_PERMISSION_DENIED', 'revoked'));
    expect(sessions.isOnline('A')).toBe(false);
    expect(closed.map((e) => e.message)).toEqual(['replaced', 'revoked']);
  });
});
