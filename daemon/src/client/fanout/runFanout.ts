import { PalyraError, type PalyraErrorJson } from '@palyra/shared/errors';
import type { InvocationEvent } from '../invocation.js';
import { batchSize } from './batchSize.js';
import type { OnlineWatcher } from './OnlineWatcher.js';
import { ResultQueue } from './ResultQueue.js';
import type { FanoutNodeResult, FanoutPlan, FanoutTarget } from './types.js';

/** How often a node waited for (--wait-online) is tried again when no online event came. */
const WAIT_ONLINE_RETRY_MS = 5_000;

export interface FanoutDeps {
  /** One dispatch to one node: its events, ending with the result. */
  invoke(target: FanoutTarget, signal: AbortSignal): AsyncIterable<InvocationEvent>;
  /** Cancels a dispatch by id (on Ctrl-C: the call's own cancel may not leave before the process does). */
  cancel(dispatchId: string): Promise<unknown>;
  /** Streamed output of a node, as it arrives (not kept). */
  onOutput?(target: FanoutTarget, chunk: Buffer): void;
  /** A node's progress reports (ratio 0..1 and message), as they arrive. */
  onProgress?(target: FanoutTarget, ratio: number, message: string): void;
  /** Set with --wait-online: wakes waits for offline nodes. */
  online?: OnlineWatcher;
}

/**
 * Dispatches to every target, at most `plan.concurrency` at once, in rolling batches, and
 * yields each node's result as it finishes (results wait for the reader: memory stays bounded
 * by the concurrency, not the fleet). After `plan.maxFailures` nodes did not succeed, nothing
 * new starts: the rest are `skipped`. Aborting `signal` cancels every running dispatch (each
 * reported `cancelled`) and skips what had not started.
 */
export async function* runFanout(targets: readonly FanoutTarget[], plan: FanoutPlan, deps: FanoutDeps, signal: AbortSignal): AsyncGenerator<FanoutNodeResult, void, undefined> {
  const queue = new ResultQueue<FanoutNodeResult>();
  const size = batchSize(plan.batch, targets.length);
  let failures = 0;
  const stopReason = (): PalyraErrorJson | undefined => {
    if (signal.aborted || queue.isClosed) return { code: 'PALYRA_E_CANCELLED', message: 'not started: the fan-out was cancelled' };
    if (plan.maxFailures !== undefined && failures >= plan.maxFailures) {
      return { code: 'PALYRA_E_FANOUT_FAILED', message: `not started: ${failures} nodes did not succeed (--max-failures ${plan.maxFailures})` };
    }
    return undefined;
  };
  const runTarget = async (target: FanoutTarget): Promise<void> => {
    const stopped = stopReason();
    const result = stopped ? skipped(target, stopped) : await runOne(target, plan, deps, signal);
    if (!result.ok && result.status !== 'skipped') failures += 1;
    await queue.push(result);
  };
  const drive = async (): Promise<void> => {
    for (let start = 0; start < targets.length; start += size) {
      const batch = targets.slice(start, start + size);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < batch.length) await runTarget(batch[next++]!);
      };
      await Promise.all(Array.from({ length: Math.min(plan.concurrency, batch.length) }, worker));
    }
  };
  drive().then(
    () => queue.end(),
    (error: unknown) => queue.fail(error),
  );
  try {
    yield* queue.drain();
  } finally {
    // A reader that left early (break) must not leave workers waiting for it: the caller's
    // abort (invokeMany's finally) cancels what runs; what they still report is dropped.
    queue.close();
  }
}

function skipped(target: FanoutTarget, error: PalyraErrorJson): FanoutNodeResult {
  return { node: target.name, deviceId: target.deviceId, dispatchId: '', status: 'skipped', ok: false, output: null, error, durationMs: 0 };
}

/** One node: its dispatch, tried again while it is offline and --wait-online allows. */
async function runOne(target: FanoutTarget, plan: FanoutPlan, deps: FanoutDeps, signal: AbortSignal): Promise<FanoutNodeResult> {
  const started = Date.now();
  const deadline = started + plan.waitOnlineMs;
  for (;;) {
    const attemptStart = Date.now();
    const result = await dispatchOnce(target, deps, signal);
    if (result.status === 'node_unavailable' && deps.online !== undefined && Date.now() < deadline && !signal.aborted) {
      await deps.online.wait(target.deviceId, attemptStart, deadline, WAIT_ONLINE_RETRY_MS, signal);
      if (!signal.aborted) continue;
    }
    return { ...result, durationMs: Date.now() - started };
  }
}

async function dispatchOnce(target: FanoutTarget, deps: FanoutDeps, signal: AbortSignal): Promise<FanoutNodeResult> {
  const base = { node: target.name, deviceId: target.deviceId, output: null, durationMs: 0 };
  let dispatchId = '';
  try {
    for await (const event of deps.invoke(target, signal)) {
      if (event.type === 'accepted') dispatchId = event.dispatchId;
      else if (event.type === 'output') deps.onOutput?.(target, event.chunk);
      else if (event.type === 'progress') deps.onProgress?.(target, event.ratio, event.message);
      else if (event.type === 'result') {
        const { result } = event;
        const exitCode = shellExitCode(result.output);
        return {
          ...base,
          dispatchId: result.dispatchId,
          status: result.status,
          ok: result.status === 'succeeded' && (exitCode === undefined || exitCode === 0),
          ...(exitCode === undefined ? {} : { exitCode }),
          output: result.output,
          error: result.error,
        };
      }
    }
    throw new PalyraError('PALYRA_E_INTERNAL', 'the daemon ended the invocation without a result');
  } catch (error) {
    const palyra = error instanceof PalyraError ? error : new PalyraError('PALYRA_E_INTERNAL', String(error));
    if (signal.aborted && dispatchId !== '') await deps.cancel(dispatchId).catch(() => undefined);
    const status = signal.aborted || palyra.code === 'PALYRA_E_CANCELLED' ? 'cancelled' : palyra.code === 'PALYRA_E_DAEMON_UNREACHABLE' ? 'unknown' : 'rejected';
    return { ...base, dispatchId, status, ok: false, error: palyra.toJSON() };
  }
}

/** shell.exec's result carries the command's exit code (null when a signal ended it). */
function shellExitCode(output: unknown): number | null | undefined {
  if (typeof output !== 'object' || output === null || !('exitCode' in output)) return undefined;
  const code = (output as { exitCode: unknown }).exitCode;
  return typeof code === 'number' || code === null ? code : undefined;
}
