import type { Dispatch__Output, NodeMessage } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import { wallNow } from '../clock/wallClock.js';
import type { CapabilityExecutor } from './CapabilityExecutor.js';

/** Chunks above this are split, keeping each gRPC message well under the 4 MiB limit. */
const MAX_CHUNK_BYTES = 256 * 1024;

/**
 * Executes the dispatches that arrive on one Session stream and reports their output and
 * results on it. Cancel messages abort the capability's signal; when the stream ends, every
 * running capability is aborted, since its result could not be delivered anyway.
 */
export class SessionDispatches {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly executor: CapabilityExecutor,
    private readonly send: (message: NodeMessage) => void,
  ) {}

  get size(): number {
    return this.running.size;
  }

  start(dispatch: Dispatch__Output): void {
    const id = dispatch.dispatchId;
    if (id === '' || this.running.has(id)) return;
    const controller = new AbortController();
    this.running.set(id, controller);
    void this.run(dispatch, controller).finally(() => this.running.delete(id));
  }

  cancel(dispatchId: string): void {
    this.running.get(dispatchId)?.abort(new PalyraError('PALYRA_E_CANCELLED', 'cancelled by the daemon'));
  }

  abortAll(): void {
    for (const controller of this.running.values()) {
      controller.abort(new PalyraError('PALYRA_E_CANCELLED', 'the session to the daemon ended'));
    }
  }

  private async run(dispatch: Dispatch__Output, controller: AbortController): Promise<void> {
    const receivedAtMs = wallNow();
    const dispatchId = dispatch.dispatchId;
    let input: unknown;
    try {
      input = dispatch.inputJson === '' ? {} : (JSON.parse(dispatch.inputJson) as unknown);
    } catch {
      this.sendResult(dispatchId, 'rejected', undefined, new PalyraError('PALYRA_E_INPUT_INVALID', 'the dispatch input is not JSON'));
      return;
    }
    // `started` tells the daemon (and whoever follows the dispatch) that it is running. A
    // capability done within this turn of the event loop needs no such news: its result says
    // more, and one message fewer each way is a fifth of a no-op dispatch's cost.
    const started = setImmediate(() => this.send({ started: { dispatchId } }));
    const outcome = await this.executor.execute(
      {
        dispatchId,
        capability: dispatch.capability,
        input,
        deadline: deadlineOf(dispatch, receivedAtMs),
        signal: controller.signal,
      },
      {
        write: (chunk) => {
          for (let offset = 0; offset < chunk.length; offset += MAX_CHUNK_BYTES) {
            this.send({ output: { dispatchId, chunk: Buffer.from(chunk.subarray(offset, offset + MAX_CHUNK_BYTES)) } });
          }
        },
        progress: ({ ratio, message }) => {
          this.send({ output: { dispatchId, progressRatio: ratio ?? 0, progressMessage: message ?? '' } });
        },
      },
    );
    clearImmediate(started);
    if (outcome.status === 'succeeded') this.sendResult(dispatchId, 'succeeded', outcome.output);
    else this.sendResult(dispatchId, outcome.status, undefined, outcome.error);
  }

  private sendResult(dispatchId: string, status: string, output?: unknown, error?: PalyraError): void {
    let outputJson = '';
    if (output !== undefined) {
      try {
        outputJson = JSON.stringify(output);
      } catch {
        status = 'failed';
        error = new PalyraError('PALYRA_E_OUTPUT_INVALID', 'the capability returned output that cannot be serialised as JSON');
      }
    }
    this.send({
      result: {
        dispatchId,
        status,
        outputJson,
        error: error === undefined ? null : { code: error.code, message: error.message, detailsJson: detailsJson(error) },
      },
    });
  }
}

/**
 * The dispatch's deadline on this node's clock: the time the daemon said was left, counted
 * from receipt, so a node clock that is off does not shorten or stretch it. A daemon older
 * than timeout_ms sends only its own wall-clock deadline; then that is all there is.
 */
function deadlineOf(dispatch: Dispatch__Output, receivedAtMs: number): Date {
  const timeoutMs = Number(dispatch.timeoutMs);
  if (Number.isSafeInteger(timeoutMs) && timeoutMs > 0) return new Date(receivedAtMs + timeoutMs);
  const deadlineMs = Number(dispatch.deadlineUnixMs);
  return new Date(Number.isFinite(deadlineMs) && deadlineMs > 0 ? deadlineMs : receivedAtMs + 30_000);
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
