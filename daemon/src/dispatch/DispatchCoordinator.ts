import type { NodeMessage__Output } from '@palyra/proto';
import { PalyraError, parseErrorDetails } from '@palyra/shared/errors';
import { assertDeviceId, newDispatchId } from '@palyra/shared/ids';
import { Dispatch } from './Dispatch.js';
import type { KnownCapability, NodeCapabilities } from './NodeCapabilities.js';
import { NodeDispatchQueue, type QueueLimits } from './NodeDispatchQueue.js';
import { DISPATCH_STATUSES, type DispatchRequest, type DispatchStatus } from './types.js';

export interface DispatchCoordinatorOptions extends Partial<QueueLimits> {
  capabilities: NodeCapabilities;
  /** Is this device registered at all? */
  isRegistered: (deviceId: string) => boolean;
  /** Finished dispatches kept for idempotency keys and lookups. */
  maxRetained?: number;
  maxTimeoutMs?: number;
  /** Called with every new dispatch before it is queued or finished (the event bus subscribes to its states). */
  onDispatch?: (dispatch: Dispatch) => void;
}

const MAX_OUTPUT_JSON_BYTES = 4 * 1024 * 1024;
const DONE: Promise<void> = Promise.resolve();
const MAX_ERROR_DETAILS_JSON_BYTES = 64 * 1024;

/**
 * Routes capability requests to nodes and their results back. Input is validated against
 * the node's announced schema before anything is sent; each dispatch has a deadline; a node
 * that disconnects turns its queued and in-flight dispatches into node_unavailable.
 */
export class DispatchCoordinator {
  private readonly queues = new Map<string, NodeDispatchQueue>();
  private readonly online = new Set<string>();
  /** Recent dispatches by id and by (device, idempotency key), oldest first. */
  private readonly recent = new Map<string, Dispatch>();
  private readonly byIdempotencyKey = new Map<string, Dispatch>();
  private readonly limits: QueueLimits;
  /** Input checks under way, by dispatch (a deduplicated submit waits for the same one). */
  private readonly checks = new Map<Dispatch, Promise<void>>();

  constructor(private readonly options: DispatchCoordinatorOptions) {
    this.limits = { maxQueued: options.maxQueued ?? 1024, maxInFlight: options.maxInFlight ?? 64 };
  }

  /**
   * Starts a dispatch. Problems of the request itself (unknown node, unknown capability,
   * full queue, offline node) still give a Dispatch, finished at once with status rejected or
   * node_unavailable, so every caller sees one uniform result.
   *
   * The input is checked against the node's schema in the schema worker, so that check ends
   * later: the dispatch takes its place in the node's queue (and its idempotency key is
   * registered) now, in state queued, and is held there until the check passes; invalid
   * input then finishes it as rejected. `checked` settles (never rejects) once the check is
   * over, or at once when there is none.
   */
  submit(request: DispatchRequest): { dispatch: Dispatch; deduplicated: boolean; checked: Promise<void> } {
    assertDeviceId(request.deviceId);
    if (!this.options.isRegistered(request.deviceId)) {
      throw new PalyraError('PALYRA_E_NODE_NOT_FOUND', `no registered node "${request.deviceId}": list them with palyrad nodes list`);
    }
    const maxTimeoutMs = this.options.maxTimeoutMs ?? 24 * 60 * 60_000;
    if (!(request.timeoutMs > 0 && request.timeoutMs <= maxTimeoutMs)) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the timeout must be between 1 ms and ${maxTimeoutMs / 60_000} minutes`);
    }
    const inputJson = JSON.stringify(request.input) ?? 'null';
    const key = request.idempotencyKey ? `${request.deviceId}\u0000${request.idempotencyKey}` : undefined;
    const existing = key === undefined ? undefined : this.byIdempotencyKey.get(key);
    if (existing !== undefined) {
      // A key names one request: the same key with another request is the caller's mistake,
      // refused rather than answered with the first request's result.
      if (existing.capability !== request.capability || existing.inputJson !== inputJson) {
        throw new PalyraError(
          'PALYRA_E_IDEMPOTENCY_MISMATCH',
          `idempotency key "${request.idempotencyKey}" was used for dispatch ${existing.id} with another capability or input: use a new key`,
          { details: { dispatchId: existing.id } },
        );
      }
      return { dispatch: existing, deduplicated: true, checked: this.checks.get(existing) ?? DONE };
    }

    const dispatch = new Dispatch(
      newDispatchId(),
      request.deviceId,
      request.capability,
      inputJson,
      new Date(Date.now() + request.timeoutMs),
      request.idempotencyKey || undefined,
    );
    this.remember(dispatch, key);
    this.options.onDispatch?.(dispatch);

    const capability = this.options.capabilities.get(request.deviceId, request.capability);
    const queue = this.queueOf(request.deviceId);
    if (!this.online.has(request.deviceId)) {
      dispatch.finish('node_unavailable', {
        error: new PalyraError('PALYRA_E_NODE_UNAVAILABLE', `node ${request.deviceId} is offline`),
      });
    } else if (capability === undefined) {
      dispatch.finish('rejected', {
        error: new PalyraError('PALYRA_E_CAPABILITY_NOT_FOUND', `node ${request.deviceId} has no capability "${request.capability}"`),
      });
    } else if (queue.full) {
      dispatch.finish('rejected', {
        error: new PalyraError('PALYRA_E_QUEUE_FULL', `node ${request.deviceId} has ${queue.size} dispatches waiting; retry later`),
      });
    }
    let checked = DONE;
    if (!dispatch.finished && capability !== undefined) {
      // The daemon's deadline usually fires before the node's own timed_out result arrives,
      // so this is the error callers see: name the plugin too, as the node's error would.
      const plugin = capability.plugin;
      dispatch.armDeadline(() =>
        this.finish(
          dispatch,
          'timed_out',
          new PalyraError('PALYRA_E_TIMEOUT', `capability ${request.capability} of plugin "${plugin}" did not finish within ${request.timeoutMs} ms`, {
            details: { capability: request.capability, plugin },
          }),
        ),
      );
      queue.enqueue(dispatch, { held: true });
      checked = this.checkInput(dispatch, capability, queue);
    }
    return { dispatch, deduplicated: false, checked };
  }

  /** Checks a held dispatch's input in the schema worker: admits it to its queue, or rejects it. */
  private checkInput(dispatch: Dispatch, capability: KnownCapability, queue: NodeDispatchQueue): Promise<void> {
    // A dispatch that ends meanwhile (cancel, deadline, node offline) gives up its check if it still waits.
    const abandoned = new AbortController();
    let checking = true;
    void dispatch.done.then(() => {
      if (checking) abandoned.abort(new PalyraError('PALYRA_E_CANCELLED', 'the dispatch ended before its input was checked'));
    });
    const checked = capability
      .validateInput(dispatch.inputJson, { signal: abandoned.signal })
      .then(
        (problems) => {
          if (problems.length === 0) {
            queue.admit(dispatch);
            return;
          }
          this.finish(
            dispatch,
            'rejected',
            new PalyraError('PALYRA_E_INPUT_INVALID', `input for ${dispatch.capability} is invalid: ${problems.join('; ')}`, {
              details: { capability: dispatch.capability, problems },
            }),
          );
        },
        (error: unknown) => {
          this.finish(dispatch, 'rejected', PalyraError.from(error));
        },
      )
      .finally(() => {
        checking = false;
        this.checks.delete(dispatch);
      });
    this.checks.set(dispatch, checked);
    return checked;
  }

  /** Cancels a dispatch; false when it had already finished. */
  cancel(dispatchId: string, reason = 'cancelled by the caller'): boolean {
    const dispatch = this.recent.get(dispatchId);
    if (dispatch === undefined) {
      throw new PalyraError('PALYRA_E_DISPATCH_NOT_FOUND', `no dispatch "${dispatchId}"`);
    }
    return this.finish(dispatch, 'cancelled', new PalyraError('PALYRA_E_CANCELLED', reason));
  }

  get(dispatchId: string): Dispatch | undefined {
    return this.recent.get(dispatchId);
  }

  /** A node's session opened. */
  nodeOnline(deviceId: string, send: Parameters<NodeDispatchQueue['attach']>[0]): void {
    this.online.add(deviceId);
    this.queueOf(deviceId).attach(send);
  }

  /** A node's session closed: whatever it held cannot finish. */
  nodeOffline(deviceId: string): void {
    this.online.delete(deviceId);
    const queue = this.queues.get(deviceId);
    if (queue === undefined) return;
    for (const dispatch of queue.detach()) {
      dispatch.finish('node_unavailable', {
        error: new PalyraError('PALYRA_E_NODE_UNAVAILABLE', `node ${deviceId} disconnected before ${dispatch.capability} finished`),
      });
    }
  }

  /** A dispatch-related message from a node's session. Only the node a dispatch went to may report on it. */
  handleNodeMessage(deviceId: string, message: NodeMessage__Output): void {
    const queue = this.queues.get(deviceId);
    const id = message.started?.dispatchId ?? message.output?.dispatchId ?? message.result?.dispatchId ?? '';
    const dispatch = queue?.findInFlight(id);
    if (queue === undefined || dispatch === undefined || dispatch.deviceId !== deviceId) return;
    switch (message.body) {
      case 'started':
        dispatch.advance('running');
        return;
      case 'output': {
        const output = message.output;
        if (output === null || output === undefined) return;
        dispatch.advance('running');
        if (output.chunk.length > 0) dispatch.output(output.chunk);
        if (output.progressMessage !== '' || output.progressRatio > 0) dispatch.progress(output.progressRatio, output.progressMessage);
        return;
      }
      case 'result': {
        const result = message.result;
        if (result === null || result === undefined) return;
        const status = DISPATCH_STATUSES.includes(result.status as DispatchStatus) ? (result.status as DispatchStatus) : 'failed';
        if (status === 'succeeded') {
          const output = parseOutput(result.outputJson);
          if (output instanceof PalyraError) this.finish(dispatch, 'failed', output);
          else this.finish(dispatch, 'succeeded', undefined, output.value);
        } else {
          const error = result.error
            ? PalyraError.fromJSON({ code: result.error.code, message: result.error.message, details: parseErrorDetails(result.error.detailsJson, MAX_ERROR_DETAILS_JSON_BYTES) })
            : new PalyraError('PALYRA_E_PLUGIN_FAILED', `${dispatch.capability} ended with status ${status}`);
          this.finish(dispatch, status, error);
        }
        return;
      }
      default:
        return;
    }
  }

  private finish(dispatch: Dispatch, status: DispatchStatus, error?: PalyraError, output?: unknown): boolean {
    const queue = this.queues.get(dispatch.deviceId);
    if (status === 'cancelled' || status === 'timed_out') queue?.cancelOnNode(dispatch, error?.message ?? status);
    const finished = dispatch.finish(status, { error, output });
    queue?.release(dispatch);
    return finished;
  }

  private queueOf(deviceId: string): NodeDispatchQueue {
    let queue = this.queues.get(deviceId);
    if (queue === undefined) {
      queue = new NodeDispatchQueue(this.limits);
      this.queues.set(deviceId, queue);
    }
    return queue;
  }

  private remember(dispatch: Dispatch, key: string | undefined): void {
    this.recent.set(dispatch.id, dispatch);
    if (key !== undefined) this.byIdempotencyKey.set(key, dispatch);
    const maxRetained = this.options.maxRetained ?? 10_000;
    // Evict the oldest finished dispatches beyond the bound; running ones stay reachable.
    for (const [id, old] of this.recent) {
      if (this.recent.size <= maxRetained) break;
      if (!old.finished) continue;
      this.recent.delete(id);
      if (old.idempotencyKey !== undefined) this.byIdempotencyKey.delete(`${old.deviceId}\u0000${old.idempotencyKey}`);
    }
  }
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
