/**
 * `kill -9` of the daemon in the middle of `palyrad ca rotate`, after each durable step
 * (PALYRA_TEST_CA_ROTATE_PAUSE stops it exactly there): the restarted daemon loads a
 * consistent CA set, the old one alone before the CA state record names the new CA, both
 * after, and the rotation can be run (or finished) from there.
 */
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess } from '../helpers/daemonHarness.js';
import { E2E_TEST_TIMEOUT_MS, PALYRAD, TempDirs, spawnBin, stopProcesses } from '../helpers/processes.js';

interface CaJson {
  rotating: boolean;
  serverCa: string;
  cas: Array<{ fingerprint: string; role: string }>;
}

const dirs = new TempDirs();

afterEach(async () => {
  await stopProcesses();
}, 120_000);

afterAll(async () => {
  await dirs.cleanup();
});

describe('kill -9 of the daemon during a CA rotation (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  for (const step of ['key', 'certificate', 'state'] as const) {
    it(`after the ${step} step, a restart loads a consistent CA set and the rotation completes`, async () => {
      const stateDir = join(await dirs.make(`palyra-e2e-carotkill-${step}-`), 'state');
      const daemon = await DaemonProcess.start(stateDir, [], {}, { PALYRA_TEST_CA_ROTATE_PAUSE: step });
      const first = parseOneJson<CaJson>(await daemon.cli('ca', 'status', '--json')).cas[0]?.fingerprint;

      const rotate = spawnBin(PALYRAD, ['ca', 'rotate', '--state-dir', stateDir]);
      await daemon.process.waitFor(new RegExp(`^palyrad test-pause ca-rotate step=${step}$`, 'm'));
      daemon.process.signal('SIGKILL');
      await daemon.process.exited;
      expectErrorLine(await rotate.exited, 'PALYRA_E_DAEMON_UNREACHABLE');

      const restarted = await DaemonProcess.start(stateDir);
      const status = parseOneJson<CaJson>(await restarted.cli('ca', 'status', '--json'));
      expect(status.cas[0]?.fingerprint).toBe(first);
      if (step === 'state') {
        // The record was written: the rotation stands, complete.
        expect(status.cas.map((ca) => ca.role)).toEqual(['retiring', 'signing']);
      } else {
        // Not yet: the old CA alone; the leftovers are unreferenced and replaced by the next rotation.
        expect(status).toMatchObject({ rotating: false, serverCa: first });
        expect(status.cas).toHaveLength(1);
        const rotated = parseOneJson<CaJson>(await restarted.cli('ca', 'rotate', '--json'));
        expect(rotated.cas.map((ca) => ca.role)).toEqual(['retiring', 'signing']);
      }
      // No node waits for anything: finish retires the old CA.
      const finished = parseOneJson<{ retired: string }>(await restarted.cli('ca', 'finish', '--json'));
      expect(finished.retired).toBe(first);
      await restarted.stop();
      // And the result survives another restart.
      const again = await DaemonProcess.start(stateDir);
      const final = parseOneJson<CaJson>(await again.cli('ca', 'status', '--json'));
      expect(final.cas.map((ca) => ca.role)).toEqual(['retired', 'signing']);
      expect(final.serverCa).toBe(final.cas[1]?.fingerprint);
    });
  }
});
