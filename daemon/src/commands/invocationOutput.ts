import { ERROR_CODES } from '@palyra/shared/errors';
import { displayText } from '@palyra/shared/text';
import type { InvocationEvent, InvocationResult } from '../client/invocation.js';

/** Where `nodes invoke` and `dispatches watch` print. */
export interface InvocationPrinter {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  json: boolean;
  printJson(value: unknown): void;
  print(line: string): void;
}

/** Streams one live event as `nodes invoke` does: output chunks to stdout, progress to stderr (not with --json). */
export function printLiveEvent(event: InvocationEvent, out: InvocationPrinter): void {
  if (out.json) return;
  if (event.type === 'output') out.stdout.write(event.chunk);
  else if (event.type === 'progress' && event.message !== '') {
    out.stderr.write(`progress ${Math.round(event.ratio * 100)}% ${displayText(event.message)}\n`);
  }
}

/**
 * Prints a dispatch's result as `nodes invoke` does and returns the exit code: 0 only when it
 * succeeded, else the exit code of its error's code (1 without one).
 */
export function reportInvocationResult(result: InvocationResult, out: InvocationPrinter): number {
  if (out.json) {
    out.printJson(result);
  } else if (result.status === 'succeeded') {
    if (result.output !== null) out.print(JSON.stringify(result.output, null, 2));
  } else {
    const error = result.error ?? { code: 'PALYRA_E_PLUGIN_FAILED' as const, message: `the dispatch ended ${result.status}` };
    out.stderr.write(`error ${error.code}: ${result.status}: ${displayText(error.message.replace(/\s*\n\s*/g, ' '))}\n`);
  }
  if (result.status === 'succeeded') return 0;
  return result.error === null ? 1 : ERROR_CODES[result.error.code].exitCode;
}
