import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PalyraError } from '@palyra/shared/errors';
import { createLogger } from '@palyra/shared/logging';
import type { DaemonEvent } from '@palyra/shared/quic';
import { DaemonEvents } from '../../src/events/DaemonEvents.js';

/** The daemon's JSON logger, writing into memory. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      callback();
    },
  });
  const logger = createLogger({ name: 'palyrad', level: 'info', pretty: false, destination });
  return { logger, lines: () => text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const online = (deviceId: string): DaemonEvent => ({ type: 'node.online', at: new Date().toISOString(), deviceId, name: 'n' });

describe('DaemonEvents', () => {
  it('drops a listener that throws, logs the throw once at error level with its code, and keeps delivering to the others', () => {
    const { logger, lines } = capturingLogger();
    const events = new DaemonEvents({ logger });
    const delivered: string[] = [];
    let calls = 0;
    events.subscribe({}, () => {
      calls += 1;
      throw new PalyraError('PALYRA_E_QUIC_CLOSED', 'the subscriber stream is gone');
    });
    events.subscribe({}, (event) => delivered.push(event.deviceId ?? ''));
    events.subscribe({}, () => {
      throw new TypeError('a bug in a listener');
    });

    events.publish(online('A'));
    events.publish(online('B'));

    expect(calls).toBe(1);
    expect(delivered).toEqual(['A', 'B']);
    expect(events.subscriberCount).toBe(1);
    const logged = lines().filter((line) => line.msg === 'event listener threw: unsubscribed');
    expect(logged).toEqual([
      expect.objectContaining({ level: 50, code: 'PALYRA_E_QUIC_CLOSED', error: 'the subscriber stream is gone', eventType: 'node.online' }),
      expect.objectContaining({ level: 50, code: 'PALYRA_E_INTERNAL', error: 'a bug in a listener', eventType: 'node.online' }),
    ]);
  });
});
