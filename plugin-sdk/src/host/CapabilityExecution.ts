import { PalyraError, isErrorCode } from '../errors/index.js';
import type { CapabilityContext, PluginSecrets, ProgressUpdate } from '../plugins/index.js';
import type { ScopedLogger } from './ScopedLogger.js';
import type { ExecuteRequest, ExecutionOutcome, ExecutionSink } from './types.js';
import type { ValidatedCapability } from './validatePluginManifest.js';

/** setTimeout's longest delay; longer deadlines re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How long after an abort a still-running plugin gets a warning in the log. */
const IGNORED_ABORT_WARN_MS = 5_000;

type StopReason = 'timeout' | 'cancel' | 'shutdown';

export interface CapabilityExecutionOptions {
  readonly plugin: string;
  readonly capability: ValidatedCapability;
  /** The plugin's frozen grants. */
  readonly grants: unknown;
  /** The plugin's logger; the execution stamps capability and dispatch id on top. */
  readonly logger: ScopedLogger;
  /** The plugin's own secrets (scope `plugin:<name>`). */
  readonly secrets: PluginSecrets;
  /**
   * The host's wall clock (ms since the epoch), which deadlines are compared against; the
   * agent passes its own so that one clock serves its dispatches and its health pings.
   * Default: Date.now.
   */
  readonly clock?: () => number;
}

/**
 * One run of one capability for one dispatch: validates the input, runs `execute` with a
 * signal that fires on the deadline, the caller's cancel or the host's shutdown (`shutdown()`),
 * and races it against those so a plugin that ignores its signal cannot hold the dispatch.
 * Turns whatever happens into an ExecutionOutcome; `run()` never rejects.
 *
 * The host calls `shutdown()` on each running execution rather than each execution listening
 * on one host-wide signal: that signal would carry one listener per dispatch in flight, and
 * Node warns (MaxListenersExceededWarning) past 10 of them.
 */
export class CapabilityExecution {
  private readonly controller = new AbortController();
  private readonly logger: ScopedLogger;
  private readonly now: () => number;
  private ended = false;
  private warnedLateWrite = false;
  private stopReason: StopReason | undefined;
  private shutdownRequested = false;
  /** Stops the running plugin call; set while it runs. */
  private stopRunning: ((reason: StopReason, abortReason: PalyraError) => void) | undefined;

  constructor(
    private readonly options: CapabilityExecutionOptions,
    private readonly request: ExecuteRequest,
    private readonly sink: ExecutionSink,
  ) {
    this.logger = options.logger.child({ capability: request.capability, dispatchId: request.dispatchId });
    this.now = options.clock ?? Date.now;
  }

  /** The agent is stopping: ends this dispatch as cancelled (before it starts, or while it runs). */
  shutdown(): void {
    this.shutdownRequested = true;
    this.stopRunning?.('shutdown', this.cancelledError('shutdown'));
  }

  async run(): Promise<ExecutionOutcome> {
    try {
      return await this.runChecked();
    } catch (error) {
      // Only a bug in the host gets here; still, never reject and never crash the agent.
      this.ended = true;
      this.logger.error('plugin host failed while running a dispatch', { error: String(error) });
      return { status: 'failed', error: this.stamp(PalyraError.from(error)) };
    }
  }

  private async runChecked(): Promise<ExecutionOutcome> {
    const { request, options } = this;
    const deadlineMs = request.deadline instanceof Date ? request.deadline.getTime() : Number.NaN;
    if (Number.isNaN(deadlineMs)) {
      return this.end('rejected', new PalyraError('PALYRA_E_INVALID_ARGUMENT', `dispatch ${request.dispatchId} has no valid deadline`));
    }
    if (request.signal.aborted) return this.end('cancelled', this.cancelledError('cancel'));
    if (this.shutdownRequested) return this.end('cancelled', this.cancelledError('shutdown'));

    const problems = options.capability.validateInput(request.input);
    if (problems.length > 0) {
      return this.end(
        'rejected',
        new PalyraError('PALYRA_E_INPUT_INVALID', `input of ${request.capability} is invalid: ${problems.join('; ')}`, {
          details: { problems },
        }),
      );
    }
    if (this.now() >= deadlineMs) return this.end('timed_out', this.timeoutError(deadlineMs));

    let stopped!: () => void;
    const stopPromise = new Promise<void>((resolve) => (stopped = resolve));
    const stop = (reason: StopReason, abortReason: PalyraError): void => {
      if (this.stopReason !== undefined || this.ended) return;
      // Record the reason before aborting: the plugin reacts to the abort synchronously.
      this.stopReason = reason;
      stopped();
      this.controller.abort(abortReason);
    };
    const onCancel = (): void => stop('cancel', this.cancelledError('cancel'));
    request.signal.addEventListener('abort', onCancel, { once: true });
    this.stopRunning = stop;
    const clearDeadline = armDeadline(deadlineMs, this.now, () => stop('timeout', this.timeoutError(deadlineMs)));

    const running = this.start();
    try {
      const settled = await Promise.race([running, stopPromise.then(() => undefined)]);
      if (this.stopReason !== undefined || settled === undefined) return this.endStopped(deadlineMs, running);
      return settled.ok ? this.succeed(settled.value) : this.end('failed', this.pluginFailed(settled.error));
    } finally {
      this.ended = true;
      clearDeadline();
      request.signal.removeEventListener('abort', onCancel);
      this.stopRunning = undefined;
    }
  }

  /** Calls the plugin; a synchronous throw counts like a rejection. */
  private start(): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
    const ctx: CapabilityContext<unknown> = Object.freeze({
      signal: this.controller.signal,
      deadline: new Date(this.request.deadline.getTime()),
      dispatchId: this.request.dispatchId,
      grants: this.options.grants,
      logger: this.logger,
      secrets: this.options.secrets,
      write: (chunk: string | Uint8Array) => this.write(chunk),
      progress: (update: ProgressUpdate) => this.progress(update),
    });
    return (async () => {
      try {
        return { ok: true as const, value: await this.options.capability.definition.execute(this.request.input, ctx) };
      } catch (error) {
        return { ok: false as const, error };
      }
    })();
  }

  private write(chunk: string | Uint8Array): void {
    let bytes: Uint8Array;
    if (typeof chunk === 'string') {
      bytes = new TextEncoder().encode(chunk);
    } else if (chunk instanceof Uint8Array) {
      // A copy: the plugin may reuse its buffer once write returns.
      bytes = new Uint8Array(chunk);
    } else {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `ctx.write takes a string or a Uint8Array (got ${chunk === null ? 'null' : typeof chunk})`);
    }
    if (this.ended) return this.lateWrite();
    if (bytes.byteLength === 0) return;
    try {
      this.sink.write(bytes);
    } catch (error) {
      this.logger.warn('could not forward streamed output', { error: String(error) });
    }
  }

  private progress(update: ProgressUpdate): void {
    if (this.ended) return this.lateWrite();
    if (typeof update !== 'object' || update === null) return;
    const clean: { ratio?: number; message?: string } = {};
    if (typeof update.ratio === 'number' && Number.isFinite(update.ratio)) clean.ratio = Math.min(1, Math.max(0, update.ratio));
    if (typeof update.message === 'string') clean.message = update.message;
    if (clean.ratio === undefined && clean.message === undefined) return;
    try {
      this.sink.progress(clean);
    } catch (error) {
      this.logger.warn('could not forward a progress update', { error: String(error) });
    }
  }

  private lateWrite(): void {
    if (this.warnedLateWrite) return;
    this.warnedLateWrite = true;
    this.logger.warn('ignored output written after the dispatch ended');
  }

  private succeed(value: unknown): ExecutionOutcome {
    const { capability } = this.request;
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      return this.end('failed', new PalyraError('PALYRA_E_OUTPUT_INVALID', `${this.who()} returned output that is not JSON: ${(error as Error).message}`, { cause: error }));
    }
    if (json === undefined) {
      return this.end('failed', new PalyraError('PALYRA_E_OUTPUT_INVALID', `${this.who()} returned no output (${typeof value}); it must return a JSON value`));
    }
    // Validate what the daemon will receive, not the plugin's live objects.
    const output: unknown = JSON.parse(json);
    const problems = this.options.capability.validateOutput(output);
    if (problems.length > 0) {
      return this.end(
        'failed',
        new PalyraError('PALYRA_E_OUTPUT_INVALID', `${this.who()} returned output that fails ${capability}'s outputSchema: ${problems.join('; ')}`, {
          details: { problems },
        }),
      );
    }
    this.ended = true;
    return { status: 'succeeded', output };
  }

  private endStopped(deadlineMs: number, running: Promise<{ ok: boolean }>): ExecutionOutcome {
    const reason = this.stopReason ?? 'cancel';
    const abortedAt = Date.now();
    // A plugin that honours its signal settles right away; one that does not is worth a warning.
    const straggler = setTimeout(() => {
      this.logger.warn(`${this.who()} still runs ${IGNORED_ABORT_WARN_MS} ms after its signal aborted; it ignores ctx.signal`);
    }, IGNORED_ABORT_WARN_MS);
    straggler.unref();
    void running.then(({ ok }) => {
      clearTimeout(straggler);
      this.logger.debug(`${this.who()} settled ${Date.now() - abortedAt} ms after its signal aborted; its ${ok ? 'result' : 'error'} was dropped`);
    });
    return reason === 'timeout' ? this.end('timed_out', this.timeoutError(deadlineMs)) : this.end('cancelled', this.cancelledError(reason));
  }

  private end(status: Exclude<ExecutionOutcome['status'], 'succeeded'>, error: PalyraError): ExecutionOutcome {
    this.ended = true;
    return { status, error: this.stamp(error) };
  }

  /** What a plugin threw, as a PalyraError: its own code when it threw one, else PLUGIN_FAILED. */
  private pluginFailed(thrown: unknown): PalyraError {
    if (isPalyraErrorLike(thrown)) {
      return new PalyraError(thrown.code, thrown.message, { cause: thrown, ...(thrown.details === undefined ? {} : { details: thrown.details }) });
    }
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    return new PalyraError('PALYRA_E_PLUGIN_FAILED', `${this.who()} failed: ${message}`, { cause: thrown });
  }

  /** Stamps plugin and capability on an error's details (a new error; the original stays the cause). */
  private stamp(error: PalyraError): PalyraError {
    const details = { ...error.details, plugin: this.options.plugin, capability: this.request.capability };
    return new PalyraError(error.code, error.message, { details, ...(error.cause === undefined ? {} : { cause: error.cause }) });
  }

  private timeoutError(deadlineMs: number): PalyraError {
    return new PalyraError('PALYRA_E_TIMEOUT', `${this.who()} did not finish before its deadline ${new Date(deadlineMs).toISOString()}`, {
      details: { deadline: new Date(deadlineMs).toISOString() },
    });
  }

  private cancelledError(reason: 'cancel' | 'shutdown'): PalyraError {
    if (reason === 'shutdown') return new PalyraError('PALYRA_E_CANCELLED', `${this.who()} was cancelled: the agent is stopping`);
    const why = describeReason(this.request.signal.reason);
    return new PalyraError('PALYRA_E_CANCELLED', `${this.who()} was cancelled${why === undefined ? '' : `: ${why}`}`, {
      ...(this.request.signal.reason === undefined ? {} : { cause: this.request.signal.reason }),
    });
  }

  private who(): string {
    return `capability ${this.request.capability} of plugin "${this.options.plugin}"`;
  }
}

/** A PalyraError, also one from another copy of @palyra/plugin-sdk (a plugin's own install; duck-typed by its code). */
function isPalyraErrorLike(value: unknown): value is Error & { code: PalyraError['code']; details?: Record<string, unknown> } {
  if (value instanceof PalyraError) return true;
  if (!(value instanceof Error)) return false;
  const { code, details } = value as Error & { code?: unknown; details?: unknown };
  return isErrorCode(code) && (details === undefined || (typeof details === 'object' && details !== null));
}

function describeReason(reason: unknown): string | undefined {
  if (typeof reason === 'string' && reason !== '') return reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  return undefined;
}

/** Calls `onExpire` at `deadlineMs` (re-arming past setTimeout's limit); returns a cancel. */
function armDeadline(deadlineMs: number, now: () => number, onExpire: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const remaining = deadlineMs - now();
    if (remaining <= 0) {
      onExpire();
      return;
    }
    timer = setTimeout(arm, Math.min(remaining, MAX_TIMER_MS));
  };
  arm();
  return () => clearTimeout(timer);
}
