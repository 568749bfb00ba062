import type { Logger } from '@palyra/shared/logging';
import { logFailure } from './logging/logFailure.js';

export interface Service {
  stop(): Promise<void>;
}

/** A started service and its name in log lines. */
export interface StartedService {
  name: string;
  service: Service;
  /**
   * Local state (the final registry write, the lock released after it): always awaited to
   * the end. Abandoning it would release daemon.lock while the write may still land, over
   * the state a next daemon already loaded. Only what peers can hold up is bounded.
   */
  untilDone?: boolean;
}

/**
 * How long one service's stop may take before the daemon goes on without it: a peer that
 * stopped answering (a frozen node) must not keep the process, and daemon.lock, for minutes.
 */
export const SERVICE_STOP_DEADLINE_MS = 5_000;

/**
 * Stops services in reverse order, each within `deadlineMs`: one that fails or overruns is
 * logged and left behind, so the later ones (the registry flush, the lock) still run.
 * Whatever an overrunning service still holds is ended when the process exits. The local
 * state services (`untilDone`) have no deadline: no peer can hold them up.
 */
export async function stopServices(services: readonly StartedService[], logger: Logger | undefined, deadlineMs = SERVICE_STOP_DEADLINE_MS): Promise<void> {
  for (const { name, service, untilDone } of [...services].reverse()) {
    let timer: NodeJS.Timeout | undefined;
    const overrun = new Promise<'overrun'>((resolve) => {
      if (untilDone !== true) timer = setTimeout(() => resolve('overrun'), deadlineMs);
    });
    try {
      const outcome = await Promise.race([service.stop().then(() => 'stopped' as const), overrun]);
      if (outcome === 'overrun') {
        logger?.error({ service: name, code: 'PALYRA_E_TIMEOUT', deadlineMs }, `${name} did not stop in time; stopping the rest without it`);
      }
    } catch (error) {
      logFailure(logger, 'error', `${name} failed to stop`, error, { service: name });
    } finally {
      clearTimeout(timer);
    }
  }
}
