import { setMaxListeners } from 'node:events';
import type { NodeInfo__Output } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import type { DaemonEvent, DaemonEventType } from '@palyra/shared/quic';
import type { InvocationEvent, InvokeRequestOptions } from '../invocation.js';
import { OnlineWatcher } from './OnlineWatcher.js';
import { runFanout } from './runFanout.js';
import { DEFAULT_FANOUT_CONCURRENCY, MAX_FANOUT_CONCURRENCY, type FanoutNodeResult, type FanoutPlan, type FanoutTarget } from './types.js';

/** What `ControlClient.invokeMany` needs of the client. */
export interface FanoutClient {
  listNodePages(options: { selector?: string; pageSize?: number; signal?: AbortSignal }): AsyncIterable<NodeInfo__Output[]>;
  invoke(request: InvokeRequestOptions): AsyncIterable<InvocationEvent>;
  cancelDispatch(dispatchId: string): Promise<boolean>;
  streamEvents(options: { types?: DaemonEventType[]; signal?: AbortSignal }): AsyncIterable<DaemonEvent>;
}

export interface InvokeManyOptions {
  /** A node selector (`env=prod,role in (web,api)`); '' selects every node. Or `deviceIds`. */
  selector?: string;
  deviceIds?: readonly string[];
  capability: string;
  input?: unknown;
  /** Per dispatch, milliseconds; default the daemon's (30 s). */
  timeoutMs?: number;
  concurrency?: number;
  batch?: FanoutPlan['batch'];
  maxFailures?: number;
  waitOnlineMs?: number;
  /** Streamed output of each node as it arrives (the results do not keep it). */
  onOutput?: (target: FanoutTarget, chunk: Buffer) => void;
  /** Each node's progress reports (ratio 0..1 and message) as they arrive. */
  onProgress?: (target: FanoutTarget, ratio: number, message: string) => void;
  /** Called once with the nodes chosen, before the first dispatch. */
  onTargets?: (targets: readonly FanoutTarget[]) => void;
  /** Aborting cancels every running dispatch (reported `cancelled`) and skips the rest. */
  signal?: AbortSignal;
}

/** ListNodes pages of this many nodes: the daemon bounds each message. */
const PAGE_SIZE = 500;

/** The nodes a selector matches, read page by page (PALYRA_E_NO_NODES_MATCH when none). */
export async function selectTargets(client: FanoutClient, options: InvokeManyOptions): Promise<FanoutTarget[]> {
  const targets: FanoutTarget[] = [];
  if (options.deviceIds !== undefined) {
    for (const deviceId of new Set(options.deviceIds)) targets.push({ deviceId, name: deviceId });
  }
  const wanted = options.deviceIds === undefined ? undefined : new Map(targets.map((t) => [t.deviceId, t]));
  for await (const page of client.listNodePages({ selector: options.selector ?? '', pageSize: PAGE_SIZE, ...(options.signal ? { signal: options.signal } : {}) })) {
    for (const node of page) {
      if (wanted === undefined) targets.push({ deviceId: node.deviceId, name: node.name });
      else {
        const target = wanted.get(node.deviceId);
        if (target) target.name = node.name;
      }
    }
  }
  if (targets.length === 0) {
    throw new PalyraError('PALYRA_E_NO_NODES_MATCH', options.selector ? `no node matches the selector ${JSON.stringify(options.selector)}: nothing was dispatched` : 'no node is registered: nothing was dispatched');
  }
  return targets;
}

/** ControlClient.invokeMany: see there. */
export async function* invokeMany(client: FanoutClient, options: InvokeManyOptions): AsyncGenerator<FanoutNodeResult, void, undefined> {
  const concurrency = options.concurrency ?? DEFAULT_FANOUT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_FANOUT_CONCURRENCY) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `concurrency must be an integer from 1 to ${MAX_FANOUT_CONCURRENCY}`);
  }
  const targets = await selectTargets(client, options);
  options.onTargets?.(targets);
  // One controller for the run: the caller's abort, and leaving the loop early, cancel what runs.
  const controller = new AbortController();
  // Each running dispatch listens on it, and each wait for a node to come online: at most
  // `concurrency` of each, plus the event stream.
  setMaxListeners(2 * concurrency + 10, controller.signal);
  const onAbort = (): void => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) controller.abort();
  const waitOnlineMs = options.waitOnlineMs ?? 0;
  let online: OnlineWatcher | undefined;
  if (waitOnlineMs > 0) {
    online = new OnlineWatcher(new Set(targets.map((t) => t.deviceId)));
    void online.follow(client.streamEvents({ types: ['node.online'], signal: controller.signal }));
  }
  try {
    yield* runFanout(
      targets,
      { concurrency, waitOnlineMs, ...(options.batch ? { batch: options.batch } : {}), ...(options.maxFailures === undefined ? {} : { maxFailures: options.maxFailures }) },
      {
        invoke: (target, signal) =>
          client.invoke({
            deviceId: target.deviceId,
            capability: options.capability,
            input: options.input,
            ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
            signal,
          }),
        cancel: (dispatchId) => client.cancelDispatch(dispatchId),
        ...(options.onOutput ? { onOutput: options.onOutput } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(online ? { online } : {}),
      },
      controller.signal,
    );
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    controller.abort();
  }
}
