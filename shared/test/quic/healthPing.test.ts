import { describe, expect, it } from 'vitest';
import { parseHealthPing } from '../../src/quic/index.js';

const figures = {
  sentAtMs: 1_764_211_200_000,
  agentVersion: '0.1.0',
  uptimeSec: 3600,
  loadAvg: [0.5, 0.4, 0.3],
  memory: { totalBytes: 8e9, freeBytes: 4e9, rssBytes: 5e7 },
};

describe('parseHealthPing (node.health_stream)', () => {
  it('reads the figures and the previous round trip', () => {
    expect(parseHealthPing({ ping: { ...figures, lastRttMs: 1.5 } })).toEqual({ ...figures, lastRttMs: 1.5 });
    expect(parseHealthPing({ ping: figures })).toEqual(figures);
  });

  it('calls a frame without a ping object malformed', () => {
    for (const frame of [{}, { ping: null }, { ping: [] }, { ping: 'x' }, { pong: figures }]) {
      expect(() => parseHealthPing(frame)).toThrow(expect.objectContaining({ code: 'PALYRA_E_FRAME_MALFORMED' }));
    }
  });

  it('refuses figures out of bounds as an invalid argument', () => {
    for (const ping of [
      { ...figures, uptimeSec: -1 },
      { ...figures, agentVersion: 'x'.repeat(65) },
      { ...figures, loadAvg: [1, 2] },
      { ...figures, lastRttMs: Number.NaN },
      { ...figures, lastRttMs: 4_000_000 },
    ]) {
      expect(() => parseHealthPing({ ping })).toThrow(expect.objectContaining({ code: 'PALYRA_E_INVALID_ARGUMENT' }));
    }
  });
});
