import type { DispatchResult__Output as DispatchResultMessage } from '@palyra/proto';
import { PalyraError, parseErrorDetails } from '@palyra/shared/errors';
import { NODE_REPORTED_STATUSES, type DispatchStatus } from './types.js';

/**
 * What a node's DispatchResult means for the daemon. Everything in it is the node's word
 * (attacker-controlled): the status is limited to those a node may report, output and error
 * details are bounded before they are parsed.
 */

const MAX_OUTPUT_JSON_BYTES = 4 * 1024 * 1024;
const MAX_ERROR_DETAILS_JSON_BYTES = 64 * 1024;

export interface NodeResultOutcome {
  status: DispatchStatus;
  error?: PalyraError;
  output?: unknown;
  /** The output as the node sent it (a succeeded result only), kept for the journal. */
  outputJson?: string;
}

export function outcomeOfNodeResult(capability: string, result: DispatchResultMessage): NodeResultOutcome {
  // A node reports how its run ended; the daemon's own statuses are not its to claim.
  const status = NODE_REPORTED_STATUSES.includes(result.status as DispatchStatus) ? (result.status as DispatchStatus) : 'failed';
  if (status === 'succeeded') {
    const output = parseOutput(result.outputJson);
    if (output instanceof PalyraError) return { status: 'failed', error: output };
    return { status, output: output.value, outputJson: result.outputJson === '' ? 'null' : result.outputJson };
  }
  const error = result.error
    ? PalyraError.fromJSON({ code: result.error.code, message: result.error.message, details: parseErrorDetails(result.error.detailsJson, MAX_ERROR_DETAILS_JSON_BYTES) })
    : new PalyraError('PALYRA_E_PLUGIN_FAILED', `${capability} ended with status ${status}`);
  return { status, error };
}

function parseOutput(json: string): { value: unknown } | PalyraError {
  if (json.length > MAX_OUTPUT_JSON_BYTES) {
    return new PalyraError('PALYRA_E_LIMIT_EXCEEDED', `the node returned more than ${MAX_OUTPUT_JSON_BYTES} bytes of output`);
  }
  try {
    return { value: json === '' ? null : (JSON.parse(json) as unknown) };
  } catch {
    return new PalyraError('PALYRA_E_OUTPUT_INVALID', 'the node returned output that is not JSON');
  }
}
