import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, RateLimitedLog } from '../../src/logging/index.js';

/** A real pino logger writing JSON lines into an array. */
function capture(): { lines: Array<Record<string, unknown>>; log: RateLimitedLog } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const logger = createLogger({ name: 'test', level: 'info', pretty: false, destination });
  return { lines, log: new RateLimitedLog({ logger, intervalMs: 1_000 }) };
}

describe('RateLimitedLog', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes the first occurrence at once and one summary with the count per interval', () => {
    const { lines, log } = capture();
    for (let i = 0; i < 1000; i++) log.note('warn', 'cap', { remoteAddress: `10.0.0.${i % 7}` }, 'refused');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'refused', remoteAddress: '10.0.0.0', level: 40 });

    vi.advanceTimersByTime(1_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ suppressed: 999, intervalMs: 1_000, level: 40, remoteAddress: '10.0.0.5' });
    expect(String(lines[1]?.msg)).toMatch(/^refused \(999 more/);

    // The next interval: still counted, not written one by one.
    log.note('warn', 'cap', {}, 'refused');
    log.note('warn', 'cap', {}, 'refused');
    expect(lines).toHaveLength(2);
    vi.advanceTimersByTime(1_000);
    expect(lines[2]).toMatchObject({ suppressed: 2 });

    // A quiet interval ends the window: the next occurrence is written at once again.
    vi.advanceTimersByTime(1_000);
    expect(lines).toHaveLength(3);
    log.note('warn', 'cap', { again: true }, 'refused');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ again: true, msg: 'refused' });
    expect(lines[3]?.suppressed).toBeUndefined();
    log.stop();
  });

  it('keeps keys apart and writes pending summaries on stop', () => {
    const { lines, log } = capture();
    log.note('warn', 'a', {}, 'line a');
    log.note('info', 'b', {}, 'line b');
    log.note('warn', 'a', {}, 'line a');
    expect(lines.map((l) => l.msg)).toEqual(['line a', 'line b']);
    log.stop();
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ suppressed: 1 });
    vi.advanceTimersByTime(10_000);
    expect(lines).toHaveLength(3);
  });
});
