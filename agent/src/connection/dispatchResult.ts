import type { DispatchResult } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';

/**
 * The most a result may carry (output, error message and details), in bytes: the daemon
 * receives at most 4 MiB per message, less room for the framing. A larger result used to end
 * the whole session (the daemon refused the message); kept until acknowledged, it would now be
 * resent on every session, so it is replaced here, at the one place results are built.
 */
export const MAX_RESULT_BYTES = 4 * 1024 * 1024 - 64 * 1024;

/** A finished dispatch's result as it goes up the Session stream (and into the outbox). */
export type HeldResult = Required<Pick<DispatchResult, 'dispatchId' | 'status' | 'outputJson'>> & {
  error: { code: string; message: string; detailsJson: string } | null;
};

/** Builds the result of a dispatch: output serialised, error details made JSON, size bounded. */
export function dispatchResult(dispatchId: string, status: string, output?: unknown, error?: PalyraError): HeldResult {
  let outputJson = '';
  if (output !== undefined) {
    try {
      outputJson = JSON.stringify(output);
    } catch {
      status = 'failed';
      error = new PalyraError('PALYRA_E_OUTPUT_INVALID', 'the capability returned output that cannot be serialised as JSON');
    }
  }
  const result: HeldResult = {
    dispatchId,
    status,
    outputJson,
    error: error === undefined ? null : { code: error.code, message: error.message, detailsJson: detailsJson(error) },
  };
  const bytes = resultBytes(result);
  if (bytes <= MAX_RESULT_BYTES) return result;
  const tooLarge = new PalyraError(
    'PALYRA_E_LIMIT_EXCEEDED',
    `the result of this dispatch is ${bytes} bytes, more than the ${MAX_RESULT_BYTES} a result may carry (stream large output instead)`,
  );
  return { dispatchId, status: 'failed', outputJson: '', error: { code: tooLarge.code, message: tooLarge.message, detailsJson: '' } };
}

/** What a result weighs on the wire and in the outbox (its strings; the framing is small and bounded). */
export function resultBytes(result: HeldResult): number {
  const error = result.error;
  return (
    Buffer.byteLength(result.dispatchId) +
    Buffer.byteLength(result.status) +
    Buffer.byteLength(result.outputJson) +
    (error === null ? 0 : Buffer.byteLength(error.code) + Buffer.byteLength(error.message) + Buffer.byteLength(error.detailsJson))
  );
}

/**
 * An error's details as JSON. They carry what the plugin put there, which need not be JSON
 * (a cycle, a BigInt): JSON.stringify would throw here, outside any try, and the unhandled
 * rejection would take the whole agent down. Then only the host's own stamp is kept.
 */
function detailsJson(error: PalyraError): string {
  if (error.details === undefined) return '';
  try {
    return JSON.stringify(error.details);
  } catch {
    const { plugin, capability } = error.details;
    return JSON.stringify({ plugin, capability });
  }
}
