import { afterEach, describe, expect, it, vi } from 'vitest';
import { stopServices, type StartedService } from '../../src/stopServices.js';
import { capturedLogger } from '../../../test/helpers/capturedLogger.js';

/** A service whose stop ends when the test says so. */
function heldService(): { service: { stop: () => Promise<void> }; stopped: () => boolean; called: () => boolean; finish: () => void } {
  let finish = (): void => undefined;
  let called = false;
  let stopped = false;
  return {
    service: {
      stop: () => {
        called = true;
        return new Promise<void>((resolve) => {
          finish = () => {
            stopped = true;
            resolve();
          };
        });
      },
    },
    called: () => called,
    stopped: () => stopped,
    finish: () => finish(),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('stopServices', () => {
  it('goes on without a service that overruns its deadline, but waits for the final state write before releasing the lock', async () => {
    vi.useFakeTimers();
    const { logger, lines } = capturedLogger();
    const lock = heldService();
    const flush = heldService();
    const frozenPeers = heldService();
    const services: StartedService[] = [
      { name: 'state dir lock', service: lock.service, untilDone: true },
      { name: 'registry flush', service: flush.service, untilDone: true },
      { name: 'quic server', service: frozenPeers.service },
    ];
    const stopping = stopServices(services, logger, 1_000);

    // The server held by a frozen peer is left behind at its deadline...
    await vi.advanceTimersByTimeAsync(1_000);
    expect(frozenPeers.stopped()).toBe(false);
    expect(lines()).toContainEqual(expect.objectContaining({ service: 'quic server', code: 'PALYRA_E_TIMEOUT' }));
    expect(flush.called()).toBe(true);

    // ...but a slow disk under the final write is waited for, however long: the lock stays
    // held (no second daemon can load the state the write is about to replace).
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lock.called()).toBe(false);
    flush.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(lock.called()).toBe(true);
    lock.finish();
    await stopping;
    expect(lines().filter((line) => line.service !== 'quic server')).toEqual([]);
  });

  it('logs a service that fails to stop with its code and still stops the ones before it', async () => {
    const { logger, lines } = capturedLogger();
    const stoppedNames: string[] = [];
    await stopServices(
      [
        { name: 'state dir lock', service: { stop: async () => void stoppedNames.push('state dir lock') }, untilDone: true },
        {
          name: 'registry flush',
          service: {
            stop: async () => {
              throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
            },
          },
          untilDone: true,
        },
      ],
      logger,
    );
    expect(stoppedNames).toEqual(['state dir lock']);
    expect(lines()).toContainEqual(expect.objectContaining({ service: 'registry flush', level: 50 }));
  });
});
