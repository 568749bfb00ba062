import { PalyraError } from '@palyra/shared/errors';
import type { ControlClient } from '../client/ControlClient.js';
import type { InvokeManyOptions } from '../client/fanout/invokeMany.js';
import { FanoutPrinter } from './fanoutOutput.js';

export interface FanoutCommandIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  json: boolean;
}

/**
 * `nodes invoke -l SELECTOR|--all`: runs the fan-out, prints it, and returns the exit code:
 * 0 when every node succeeded; Ctrl-C cancels what runs (exit 130, PALYRA_E_CANCELLED), a
 * second one stops waiting for the cancellations; PALYRA_E_FANOUT_FAILED (exit 2) when some
 * node did not succeed.
 */
export async function runFanoutCommand(client: ControlClient, options: Omit<InvokeManyOptions, 'signal' | 'onOutput' | 'onTargets'>, io: FanoutCommandIo): Promise<number> {
  const colour = io.stdout.isTTY === true && (process.env.NO_COLOR ?? '') === '';
  const printer = new FanoutPrinter(io.stdout, io.json, colour);
  const controller = new AbortController();
  let interrupts = 0;
  let giveUp: (() => void) | undefined;
  const gaveUp = new Promise<'gave-up'>((resolve) => (giveUp = () => resolve('gave-up')));
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      io.stderr.write('cancelling every running dispatch (Ctrl-C again to stop waiting)\n');
      controller.abort();
    } else giveUp?.();
  };
  process.on('SIGINT', onSigint);
  try {
    const run = (async () => {
      for await (const result of client.invokeMany({
        ...options,
        signal: controller.signal,
        onTargets: (targets) => printer.setTargets(targets),
        onOutput: (target, chunk) => printer.output(target, chunk),
      })) {
        printer.result(result);
      }
      return 'done' as const;
    })();
    if ((await Promise.race([run, gaveUp])) === 'gave-up') {
      throw new PalyraError('PALYRA_E_CANCELLED', 'stopped waiting for the cancelled dispatches');
    }
    const counts = printer.summary();
    if (controller.signal.aborted) {
      throw new PalyraError('PALYRA_E_CANCELLED', `the fan-out was cancelled: ${counts.cancelled} running dispatches cancelled, ${counts.skipped} not started`);
    }
    if (counts.succeeded === counts.total) return 0;
    throw new PalyraError('PALYRA_E_FANOUT_FAILED', `${counts.total - counts.succeeded} of ${counts.total} nodes did not succeed (${counts.failed} failed, ${counts.cancelled} cancelled, ${counts.skipped} skipped)`);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
