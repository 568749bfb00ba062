import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { DaemonProcess } from './daemonHarness.js';
import { E2E_HOOK_TIMEOUT_MS, stopProcesses, TempDirs, type SpawnOptions } from './processes.js';

export interface SharedDaemon {
  /** Temp dirs of the file, removed after its last test. */
  dirs: TempDirs;
  /** The file's daemon (throws when it did not start). */
  running: () => DaemonProcess;
}

/**
 * One real daemon for a whole test file: started before the first test in a fresh state dir
 * under a `prefix` temp dir; every other process a test started is stopped after it (stop()
 * also continues a SIGSTOPped one); everything is stopped and removed after the last test.
 */
export function useSharedDaemon(prefix: string, options: SpawnOptions = {}): SharedDaemon {
  const dirs = new TempDirs();
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    // The daemon creates its own state dir: mkdtemp's 0700 would hide a missing mode.
    daemon = await DaemonProcess.start(join(await dirs.make(prefix), 'state'), [], options);
  }, E2E_HOOK_TIMEOUT_MS);

  afterEach(async () => {
    await stopProcesses([daemon?.process]);
  }, E2E_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await stopProcesses();
    await dirs.cleanup();
  }, E2E_HOOK_TIMEOUT_MS);

  return {
    dirs,
    running: () => {
      if (daemon === undefined) throw new Error('the daemon did not start');
      return daemon;
    },
  };
}
