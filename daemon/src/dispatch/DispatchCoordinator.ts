import type { NodeMessage__Output, DispatchResult__Output as DispatchResultMessage } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import { assertDeviceId, newDispatchId } from '@palyra/shared/ids';
import type { DispatchRecord } from '../store/types.js';
import { Dispatch } from './Dispatch.js';
import { DEFAULT_JOURNAL_RETENTION, DispatchJournal, type JournalRetention } from './DispatchJournal.js';
import type { KnownCapability, NodeCapabilities } from './NodeCapabilities.js';
import { NodeDispatchQueue, type QueueLimits } from './NodeDispatchQueue.js';
import { dispatchOfRecord, restoreFinished, summaryOfDispatch, summaryOfRecord } from './dispatchRecords.js';
import {
  assertJournalText,
  daemonStoppingError,
  dispatchNotFound,
  idempotencyKeyOf,
  idempotencyMismatch,
} from './dispatchRequestRules.js';
import { outcomeOfNodeResult } from './nodeResultOutcome.js';
import { RecentDispatches } from './RecentDispatches.js';
import type { DispatchStatus, DispatchRequest, DispatchSummary, SessionReport } from './types.js';

export interface DispatchCoordinatorOptions extends Partial<QueueLimits> {
  capabilities: NodeCapabilities;
  /** Is this device registered at all? */
  isRegistered: (deviceId: string) => boolean;
  /** Finished dispatches kept in memory for idempotency keys and lookups (the journal keeps more). */
  maxRetained?: number;
  maxTimeoutMs?: number;
  /** Called with every new dispatch before it is queued or finished (the event bus subscribes to its states). */
  onDispatch?: (dispatch: Dispatch) => void;
  /** The dispatch journal; without one, dispatches live in memory only (and a restart forgets them). */
  journal?: DispatchJournal;
  retention?: Partial<JournalRetention>;
  /** Told about journal writes that failed where nobody awaits them (finishes, prunes). */
  onJournalError?: (error: unknown, what: string) => void;
}

export interface Submitted {
  dispatch: Dispatch;
  /** An earlier dispatch with the same idempotency key (live, or as the journal recorded it). */
  deduplicated: boolean;
  /** Settles (never rejects) once the input check is over, or at once when there is none. */
  checked: Promise<void>;
}

const DONE: Promise<void> = Promise.resolve();
/** How often finished journal rows past their retention are deleted. */
const PRUNE_INTERVAL_MS = 10 * 60_000;

/**
 * Routes capability requests to nodes and their results back. Input is validated against
 * the node's announced schema before anything is sent; each dispatch has a deadline.
 *
 * With a journal, every accepted dispatch is a row before anyone hears of it, `sent` before it
 * goes down the node's stream, and its final state after. A node's session that closes fails
 * what it was never sent (node_unavailable); what it was sent waits for the node's report
 * when the node reconciles (SessionHello.reconciles), until its deadline, which then makes it
 * `unknown` (it may have run). The same holds across a daemon restart (recover()).
 */
export class DispatchCoordinator {
  private readonly queues = new Map<string, NodeDispatchQueue>();
  private readonly online = new Set<string>();
  /** Recent dispatches by id and by (device, idempotency key), oldest first. */
  private readonly recent: RecentDispatches;
  private readonly limits: QueueLimits;
  /** Input checks under way, by dispatch (a deduplicated submit waits for the same one). */
  private readonly checks = new Map<Dispatch, Promise<void>>();
  /** Sent dispatches whose node is offline, by device: they wait for its report. */
  private readonly awaiting = new Map<string, Map<string, Dispatch>>();
  /** Devices whose live session reconciles (keeps its dispatches across sessions). */
  private readonly reconciling = new Set<string>();
  /** Journal look-ups of idempotency keys under way, by key. */
  private readonly keyLookups = new Map<string, Promise<DispatchRecord | undefined>>();
  private readonly journal: DispatchJournal | undefined;
  private readonly retention: JournalRetention;
  private pruneTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: DispatchCoordinatorOptions) {
    this.limits = { maxQueued: options.maxQueued ?? 1024, maxInFlight: options.maxInFlight ?? 64 };
    this.journal = options.journal;
    this.retention = { ...DEFAULT_JOURNAL_RETENTION, ...options.retention };
    this.recent = new RecentDispatches(options.maxRetained ?? 10_000, (dispatch) => this.unrecorded.delete(dispatch.id));
  }

  /**
   * Reads the journal a previous run left: dispatches it accepted and never sent end
   * `daemon_restarted` (never re-run by themselves); those it sent wait for their node's
   * report, as after a session loss. Then prunes, and every PRUNE_INTERVAL_MS after.
   */
  async recover(): Promise<{ restarted: number; awaiting: number }> {
    const journal = this.journal;
    if (journal === undefined) return { restarted: 0, awaiting: 0 };
    let restarted = 0;
    let waiting = 0;
    const now = Date.now();
    for (const row of await journal.unfinished()) {
      if (row.state === 'queued') {
        restarted += 1;
        const error = new PalyraError(
          'PALYRA_E_DAEMON_RESTARTED',
          `the daemon stopped before sending dispatch ${row.id} (${row.capability}) to node ${row.deviceId}: it never ran; dispatch it again`,
        );
        void journal
          .finish(row.id, { dispatchId: row.id, status: 'daemon_restarted', output: null, error: error.toJSON(), durationMs: now - row.createdAt }, now)
          .catch((failure: unknown) => this.options.onJournalError?.(failure, 'recording daemon_restarted'));
        continue;
      }
      waiting += 1;
      const dispatch = dispatchOfRecord(row);
      dispatch.advance(row.state === 'running' ? 'running' : 'sent');
      this.recent.remember(dispatch, idempotencyKeyOf(row.deviceId, row.idempotencyKey ?? undefined));
      this.options.onDispatch?.(dispatch);
      this.awaitingOf(row.deviceId).set(dispatch.id, dispatch);
      this.armDeadline(dispatch, row.capability, row.deadlineAt - row.createdAt);
    }
    await journal.flush();
    await this.prune();
    this.pruneTimer = setInterval(() => void this.prune(), PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
    return { restarted, awaiting: waiting };
  }

  /**
   * Starts a dispatch. Problems of the request itself (unknown node, unknown capability,
   * full queue, offline node) still give a Dispatch, finished at once with status rejected or
   * node_unavailable, so every caller sees one uniform result.
   *
   * The input is checked against the node's schema in the schema worker, so that check ends
   * later: the dispatch takes its place in the node's queue (and its idempotency key is
   * registered) now, in state queued, and is held there until the check passes; invalid
   * input then finishes it as rejected. Resolves once the journal holds the dispatch.
   */
  async submit(request: DispatchRequest): Promise<Submitted> {
    assertDeviceId(request.deviceId);
    if (this.stopped) throw daemonStoppingError();
    if (!this.options.isRegistered(request.deviceId)) {
      throw new PalyraError('PALYRA_E_NODE_NOT_FOUND', `no registered node "${request.deviceId}": list them with palyrad nodes list`);
    }
    // Checked before the journal: a string its database cannot store (PostgreSQL refuses NUL)
    // would fail the shared commit of every dispatch accepted in the same turn.
    assertJournalText(request.capability, 'the capability');
    if (request.idempotencyKey) assertJournalText(request.idempotencyKey, 'the idempotency key');
    const maxTimeoutMs = this.options.maxTimeoutMs ?? 24 * 60 * 60_000;
    if (!(request.timeoutMs > 0 && request.timeoutMs <= maxTimeoutMs)) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the timeout must be between 1 ms and ${maxTimeoutMs / 60_000} minutes`);
    }
    const inputJson = JSON.stringify(request.input) ?? 'null';
    const key = idempotencyKeyOf(request.deviceId, request.idempotencyKey || undefined);
    const existing = key === undefined ? undefined : this.recent.withKey(key);
    if (existing !== undefined) return this.join(existing, request, inputJson);
    // Only a key needs the hash (a retry's input is checked against it): ~3 us saved per unkeyed dispatch.
    const inputHash = key === undefined || this.journal === undefined ? '' : DispatchJournal.inputHash(request.capability, inputJson);
    if (key !== undefined && this.journal !== undefined) {
      // Keys outlive the daemon's memory: an older dispatch with this key is in the journal.
      const record = await this.lookUpKey(key, request.deviceId, request.idempotencyKey ?? '');
      if (this.stopped) throw daemonStoppingError();
      const raced = this.recent.withKey(key);
      if (raced !== undefined) return this.join(raced, request, inputJson);
      if (record !== undefined) {
        if (record.capability !== request.capability || record.inputHash !== inputHash) throw idempotencyMismatch(request.idempotencyKey ?? '', record.id);
        const recorded = restoreFinished(record);
        this.recent.remember(recorded, key);
        return { dispatch: recorded, deduplicated: true, checked: DONE };
      }
    }
    const dispatch = new Dispatch(
      newDispatchId(),
      request.deviceId,
      request.capability,
      inputJson,
      new Date(Date.now() + request.timeoutMs),
      request.idempotencyKey || undefined,
    );
    dispatch.caller = request.caller ?? 'local';
    dispatch.inputHash = inputHash;
    this.recent.remember(dispatch, key);
    // The row is written first (in the same transaction as what follows this turn: an
    // immediate refusal, the `sent` of a dispatch that can go at once).
    const accepted = this.journal?.accept({
      id: dispatch.id,
      deviceId: dispatch.deviceId,
      capability: dispatch.capability,
      caller: dispatch.caller,
      idempotencyKey: dispatch.idempotencyKey ?? null,
      inputHash,
      inputJson,
      state: 'queued',
      createdAt: dispatch.createdAt,
      deadlineAt: dispatch.deadline.getTime(),
      sentAt: null,
      finishedAt: null,
      resultJson: null,
    });
    this.options.onDispatch?.(dispatch);
    const capability = this.options.capabilities.get(request.deviceId, request.capability);
    const queue = this.queueOf(request.deviceId);
    if (!this.online.has(request.deviceId)) {
      this.finish(dispatch, 'node_unavailable', new PalyraError('PALYRA_E_NODE_UNAVAILABLE', `node ${request.deviceId} is offline`));
    } else if (capability === undefined) {
      this.finish(dispatch, 'rejected', new PalyraError('PALYRA_E_CAPABILITY_NOT_FOUND', `node ${request.deviceId} has no capability "${request.capability}"`));
    } else if (queue.full) {
      this.finish(dispatch, 'rejected', new PalyraError('PALYRA_E_QUEUE_FULL', `node ${request.deviceId} has ${queue.size} dispatches waiting; retry later`));
    }
    let checked = DONE;
    if (!dispatch.finished && capability !== undefined) {
      this.armDeadline(dispatch, capability.plugin, request.timeoutMs);
      queue.enqueue(dispatch, { held: true });
      checked = this.checkInput(dispatch, capability, queue);
      // One commit for the row and its `sent` when the check is quick (it usually is).
      this.journal?.hold(checked);
    }
    if (accepted !== undefined) {
      try {
        await accepted;
      } catch (error) {
        // Not journaled: refused, and forgotten, so that a retry with the key can go.
        const failure = PalyraError.from(error);
        dispatch.finish('rejected', { error: failure });
        this.queues.get(dispatch.deviceId)?.release(dispatch);
        this.recent.forget(dispatch);
        throw failure;
      }
    }
    return { dispatch, deduplicated: false, checked };
  }

  /** A submit with a key the daemon holds in memory: the same dispatch, or a mismatch. */
  private join(existing: Dispatch, request: DispatchRequest, inputJson: string): Submitted {
    // A key names one request: the same key with another request is the caller's mistake,
    // refused rather than answered with the first request's result.
    // With a hash, only the hash decides: a dispatch restored from a finished row carries no
    // input (its inputJson is a placeholder "null"), which must not match a retry's null input.
    const same =
      existing.capability === request.capability &&
      (existing.inputHash !== '' ? existing.inputHash === DispatchJournal.inputHash(request.capability, inputJson) : existing.inputJson === inputJson);
    if (!same) throw idempotencyMismatch(request.idempotencyKey ?? '', existing.id);
    return { dispatch: existing, deduplicated: true, checked: this.checks.get(existing) ?? DONE };
  }

  private lookUpKey(key: string, deviceId: string, idempotencyKey: string): Promise<DispatchRecord | undefined> {
    let lookup = this.keyLookups.get(key);
    if (lookup === undefined) {
      lookup = this.journal!.findByKey(deviceId, idempotencyKey).finally(() => this.keyLookups.delete(key));
      this.keyLookups.set(key, lookup);
    }
    return lookup;
  }

  private armDeadline(dispatch: Dispatch, plugin: string, timeoutMs: number): void {
    dispatch.armDeadline(() => {
      if (this.awaiting.get(dispatch.deviceId)?.has(dispatch.id)) {
        // Sent, and its node is away: it may have run. Never timed_out nor node_unavailable.
        this.finish(
          dispatch,
          'unknown',
          new PalyraError(
            'PALYRA_E_DISPATCH_UNKNOWN',
            `node ${dispatch.deviceId} was offline when dispatch ${dispatch.id} (${dispatch.capability}) reached its deadline: it may or may not have run; a later report from the node replaces this`,
          ),
        );
        return;
      }
      // The daemon's deadline usually fires before the node's own timed_out result arrives,
      // so this is the error callers see: name the plugin too, as the node's error would.
      this.finish(
        dispatch,
        'timed_out',
        new PalyraError('PALYRA_E_TIMEOUT', `capability ${dispatch.capability} of plugin "${plugin}" did not finish within ${timeoutMs} ms`, {
          details: { capability: dispatch.capability, plugin },
        }),
      );
    });
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

  /** Dispatches waiting in every node's queue and in flight (the metrics' gauges; O(nodes with a queue)). */
  queueDepth(): { waiting: number; inFlight: number } {
    let waiting = 0;
    let inFlight = 0;
    for (const queue of this.queues.values()) {
      const depth = queue.depth;
      waiting += depth.waiting;
      inFlight += depth.inFlight;
    }
    return { waiting, inFlight };
  }

  get(dispatchId: string): Dispatch | undefined {
    return this.recent.get(dispatchId);
  }

  /**
   * A dispatch to watch: the live one while the daemon holds it, else one finished with the
   * result the journal recorded. PALYRA_E_DISPATCH_NOT_FOUND when neither knows it.
   */
  async watchable(dispatchId: string): Promise<Dispatch> {
    const live = this.recent.get(dispatchId);
    if (live !== undefined) return live;
    const record = await this.journal?.get(dispatchId);
    if (record === undefined) throw dispatchNotFound(dispatchId);
    if (record.finishedAt === null) {
      // Unfinished rows are all in memory (recover()); one that is not was accepted by another daemon.
      throw new PalyraError('PALYRA_E_DISPATCH_NOT_FOUND', `dispatch "${dispatchId}" is not held by this daemon`);
    }
    return restoreFinished(record);
  }

  /** One dispatch as `palyrad dispatches get` shows it. */
  async describe(dispatchId: string): Promise<DispatchSummary> {
    const live = this.recent.get(dispatchId);
    if (live !== undefined) return summaryOfDispatch(live);
    const record = await this.journal?.get(dispatchId);
    if (record === undefined) throw dispatchNotFound(dispatchId);
    return summaryOfRecord(record);
  }

  /** Newest first: the journal's rows, with the live state of those the daemon holds. */
  async list(query: { deviceId?: string; unfinished?: boolean; limit: number }): Promise<DispatchSummary[]> {
    if (query.deviceId !== undefined) assertDeviceId(query.deviceId);
    const limit = Math.max(1, Math.min(10_000, Math.trunc(query.limit)));
    if (this.journal === undefined) {
      return [...this.recent.values()]
        .filter((d) => (query.deviceId === undefined || d.deviceId === query.deviceId) && (query.unfinished !== true || !d.finished))
        .reverse()
        .slice(0, limit)
        .map(summaryOfDispatch);
    }
    const rows = await this.journal.list({ ...query, limit });
    return rows.map((row) => {
      const live = this.recent.get(row.id);
      return live === undefined ? summaryOfRecord(row) : summaryOfDispatch(live);
    });
  }

  /** A node's session opened. `report`: what its hello said about dispatches of earlier sessions. */
  nodeOnline(deviceId: string, send: Parameters<NodeDispatchQueue['attach']>[0], report?: SessionReport): void {
    if (this.stopped) return;
    this.online.add(deviceId);
    if (report?.reconciles === true) this.reconciling.add(deviceId);
    else this.reconciling.delete(deviceId);
    const queue = this.queueOf(deviceId);
    const waiting = this.awaiting.get(deviceId);
    if (waiting !== undefined) {
      const running = new Set(report?.runningDispatchIds ?? []);
      const finished = new Set(report?.finishedDispatchIds ?? []);
      for (const dispatch of [...waiting.values()]) {
        if (running.has(dispatch.id)) {
          waiting.delete(dispatch.id);
          queue.adopt(dispatch);
        } else if (!finished.has(dispatch.id)) {
          // Neither running nor in its outbox: the node lost it (an agent that does not
          // reconcile, or one that lost its state). It may have run.
          this.finish(
            dispatch,
            'unknown',
            new PalyraError(
              'PALYRA_E_DISPATCH_UNKNOWN',
              `node ${deviceId} came back without dispatch ${dispatch.id} (${dispatch.capability}) running or finished: it may or may not have run`,
            ),
          );
        }
        // In its outbox: the result follows on this session (until then it keeps waiting).
      }
      if (waiting.size === 0) this.awaiting.delete(deviceId);
    }
    queue.attach(send);
  }

  /**
   * A node's session closed. What it was never sent cannot run: node_unavailable. What it was
   * sent keeps running on a node that reconciles, and waits for its report; an agent that
   * does not reconcile lost it with the session: node_unavailable.
   */
  nodeOffline(deviceId: string): void {
    if (this.stopped) return;
    this.online.delete(deviceId);
    const keeps = this.reconciling.delete(deviceId);
    const queue = this.queues.get(deviceId);
    if (queue === undefined) return;
    const { sent, unsent } = queue.detach();
    for (const dispatch of unsent) {
      this.finish(dispatch, 'node_unavailable', new PalyraError('PALYRA_E_NODE_UNAVAILABLE', `node ${deviceId} disconnected before ${dispatch.capability} was sent to it`));
    }
    for (const dispatch of sent) {
      if (keeps && this.journal !== undefined) {
        this.awaitingOf(deviceId).set(dispatch.id, dispatch);
        continue;
      }
      this.finish(dispatch, 'node_unavailable', new PalyraError('PALYRA_E_NODE_UNAVAILABLE', `node ${deviceId} disconnected before ${dispatch.capability} finished`));
    }
  }

  /** A dispatch-related message from a node's session. Only the node a dispatch went to may report on it. */
  handleNodeMessage(deviceId: string, message: NodeMessage__Output): void {
    if (this.stopped) return;
    const queue = this.queues.get(deviceId);
    const id = message.started?.dispatchId ?? message.output?.dispatchId ?? message.result?.dispatchId ?? '';
    const dispatch = queue?.findInFlight(id);
    if (queue === undefined || dispatch === undefined || dispatch.deviceId !== deviceId) {
      if (message.body === 'result' && message.result) this.lateResult(deviceId, message.result);
      return;
    }
    switch (message.body) {
      case 'started':
        this.advanceRunning(dispatch);
        return;
      case 'output': {
        const output = message.output;
        if (output === null || output === undefined) return;
        this.advanceRunning(dispatch);
        if (output.chunk.length > 0) dispatch.output(output.chunk);
        if (output.progressMessage !== '' || output.progressRatio > 0) dispatch.progress(output.progressRatio, output.progressMessage);
        return;
      }
      case 'result': {
        const result = message.result;
        if (result === null || result === undefined) return;
        const outcome = outcomeOfNodeResult(dispatch.capability, result);
        this.finish(dispatch, outcome.status, outcome.error, outcome.output, outcome.outputJson);
        this.acknowledge(deviceId, dispatch.id, this.recorded.get(dispatch.id));
        return;
      }
      default:
        return;
    }
  }

  /**
   * The daemon is stopping: nothing is cancelled or failed on its account. Watchers get an
   * `interrupted` event (their streams end with PALYRA_E_DAEMON_UNREACHABLE), every dispatch
   * stays as the journal has it, for the next run to reconcile; pending writes are committed.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.pruneTimer);
    const error = daemonStoppingError();
    for (const dispatch of this.recent.values()) dispatch.interrupt(error);
    await this.journal?.flush();
  }

  private advanceRunning(dispatch: Dispatch): void {
    if (dispatch.state === 'running') return;
    dispatch.advance('running');
    this.journal?.running(dispatch.id);
  }

  /** A result for a dispatch not in flight on this session: from the node's outbox, or late. */
  private lateResult(deviceId: string, result: DispatchResultMessage): void {
    const id = result.dispatchId;
    const waiting = this.awaiting.get(deviceId)?.get(id);
    if (waiting !== undefined) {
      const outcome = outcomeOfNodeResult(waiting.capability, result);
      this.finish(waiting, outcome.status, outcome.error, outcome.output, outcome.outputJson);
      this.acknowledge(deviceId, id, this.recorded.get(id));
      return;
    }
    const known = this.recent.get(id);
    if (known !== undefined) {
      if (known.deviceId !== deviceId || !known.finished) return;
      if (known.result?.status === 'unknown') {
        const outcome = outcomeOfNodeResult(known.capability, result);
        known.replaceUnknown(outcome.status, { output: outcome.output, error: outcome.error });
        this.acknowledge(deviceId, id, this.record(known, outcome.outputJson));
        return;
      }
      // Its final write failed: the node's copy is the result's last one; store it before the ack.
      if (this.unrecorded.has(id)) {
        this.acknowledge(deviceId, id, this.record(known));
        return;
      }
      // Finished already (a result after its deadline, or delivered twice): nothing to keep.
      this.acknowledge(deviceId, id, DONE);
      return;
    }
    const journal = this.journal;
    if (journal === undefined) return;
    // Older than the daemon's memory: the journal's row, if it is this node's and still open to a report.
    const stored = journal.get(id).then(async (row) => {
      if (row === undefined || row.deviceId !== deviceId) return;
      if (row.finishedAt !== null && row.state !== 'unknown') return;
      const outcome = outcomeOfNodeResult(row.capability, result);
      const now = Date.now();
      await journal.finish(
        id,
        { dispatchId: id, status: outcome.status, output: outcome.output ?? null, error: outcome.error?.toJSON() ?? null, durationMs: now - row.createdAt },
        now,
        { outputJson: outcome.outputJson },
      );
    });
    this.acknowledge(deviceId, id, stored);
  }

  /** Tells a reconciling node, once its result is stored, that it may drop it from its outbox. */
  private acknowledge(deviceId: string, dispatchId: string, stored: Promise<void> | undefined): void {
    if (!this.reconciling.has(deviceId)) return;
    (stored ?? DONE).then(
      () => this.queues.get(deviceId)?.sender?.({ resultAck: { dispatchId } }),
      (error: unknown) => this.options.onJournalError?.(error, 'recording a result'),
    );
  }

  /** The journal writes of finishes under way, by dispatch id (a ResultAck waits for its own). */
  private readonly recorded = new Map<string, Promise<void>>();
  /** Finished dispatches whose final write failed (kept while they are in memory): written again when their node resends. */
  private readonly unrecorded = new Set<string>();

  private finish(dispatch: Dispatch, status: DispatchStatus, error?: PalyraError, output?: unknown, outputJson?: string): boolean {
    if (this.stopped) return false;
    const queue = this.queues.get(dispatch.deviceId);
    if (status === 'cancelled' || status === 'timed_out') queue?.cancelOnNode(dispatch, error?.message ?? status);
    const finished = dispatch.finish(status, { error, output });
    queue?.release(dispatch);
    const waiting = this.awaiting.get(dispatch.deviceId);
    if (waiting?.delete(dispatch.id) === true && waiting.size === 0) this.awaiting.delete(dispatch.deviceId);
    if (finished) this.record(dispatch, outputJson);
    return finished;
  }

  /** Writes a dispatch's final result to the journal (lazily, coalesced). */
  private record(dispatch: Dispatch, outputJson?: string): Promise<void> {
    const result = dispatch.result;
    if (this.journal === undefined || result === undefined) return DONE;
    const written = this.journal.finish(dispatch.id, result, dispatch.finishedAt ?? Date.now(), { outputJson });
    this.recorded.set(dispatch.id, written);
    written.then(
      () => {
        this.recorded.delete(dispatch.id);
        this.unrecorded.delete(dispatch.id);
      },
      (error: unknown) => {
        this.recorded.delete(dispatch.id);
        this.unrecorded.add(dispatch.id);
        this.options.onJournalError?.(error, `recording how dispatch ${dispatch.id} ended`);
      },
    );
    return written;
  }

  private async prune(): Promise<void> {
    try {
      await this.journal?.prune(this.retention);
    } catch (error) {
      this.options.onJournalError?.(error, 'pruning the dispatch journal');
    }
  }

  private awaitingOf(deviceId: string): Map<string, Dispatch> {
    let waiting = this.awaiting.get(deviceId);
    if (waiting === undefined) {
      waiting = new Map();
      this.awaiting.set(deviceId, waiting);
    }
    return waiting;
  }

  private queueOf(deviceId: string): NodeDispatchQueue {
    let queue = this.queues.get(deviceId);
    if (queue === undefined) {
      const journal = this.journal;
      queue =
        journal === undefined
          ? new NodeDispatchQueue(this.limits)
          : new NodeDispatchQueue(
              this.limits,
              (dispatch) => (this.stopped ? Promise.reject(daemonStoppingError()) : journal.sent(dispatch.id)),
              (dispatch, error) => this.finish(dispatch, 'failed', PalyraError.from(error)),
            );
      this.queues.set(deviceId, queue);
    }
    return queue;
  }
}
