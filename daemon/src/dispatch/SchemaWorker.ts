import { Worker } from 'node:worker_threads';
import { PalyraError } from '@palyra/shared/errors';
import { UNTRUSTED_SCHEMA_WORKER_URL, type UntrustedSchemaJob, type UntrustedSchemaReply } from '@palyra/shared/schema';
import { abortable } from '@palyra/shared/x509';
import { RefusedSchemas } from './RefusedSchemas.js';

/**
 * Longest one schema compile may take. checkUntrustedSchema's limits keep compiling under
 * about 0.25 s on a 2-core machine (1,200 keywords: 250 ms, measured); 2 s leaves room for a
 * loaded machine while bounding what one announced schema can cost.
 */
export const SCHEMA_COMPILE_DEADLINE_MS = 2_000;
/**
 * Longest one input check may take. Validation is linear in the input, but against a schema
 * built to be heavy a large input can take seconds (measured: 6.5 s); an operator's input that
 * needs more than 1 s is refused rather than holding every other dispatch waiting behind it.
 */
export const INPUT_CHECK_DEADLINE_MS = 1_000;
/** Compiles and checks waiting or running at once; beyond it, new ones are refused. */
export const MAX_SCHEMA_WORKER_JOBS = 4096;
/**
 * Longest input (JSON text) sent to the thread. The admin API takes up to 1 MiB of input
 * JSON; written out again, numbers may grow (`9e20` is 21 digits), so the bound is wider.
 */
export const MAX_CHECKED_INPUT_CHARS = 6 * 1024 * 1024;
/** Refused schema texts remembered (a SHA-256 and a reason each). */
const MAX_REMEMBERED_REFUSALS = 1024;
/** Jobs handed to the thread ahead of its replies: enough to keep it busy between two replies. */
const MAX_POSTED_JOBS = 32;
/** The thread's heap: a schema or input that needs more crashes the thread, not the daemon. */
const THREAD_HEAP_MB = 256;

export interface SchemaWorkerOptions {
  compileDeadlineMs?: number;
  inputCheckDeadlineMs?: number;
  maxJobs?: number;
  maxInputChars?: number;
  maxRememberedRefusals?: number;
  /** Told, with a one-line reason, whenever the thread is replaced (for the log). */
  onRestart?: (reason: string) => void;
}

/** Checks an input (JSON text) against a compiled schema: its problems, empty when valid. */
export type ValidateInput = (inputJson: string, options?: { signal?: AbortSignal }) => Promise<string[]>;

/** One schema text, compiled in the thread under `id` while some node announces it. */
interface Entry {
  readonly id: number;
  readonly text: string;
  readonly what: string;
  users: number;
  /** Settles when the first compile is over; rejects with why the schema is refused. */
  compiled: Promise<void>;
  settled: boolean;
  /** The thread generation that holds this schema compiled; -1 for none. */
  generation: number;
  /** Set when compiling it overran or crashed the thread: every later check fails with it. */
  refused: PalyraError | undefined;
  readonly validate: ValidateInput;
}

type Outcome = { problems: string[] } | { error: PalyraError };

interface Job {
  readonly kind: 'compile' | 'validate';
  readonly entry: Entry;
  /** The input of a validate; '' for a compile. */
  readonly inputJson: string;
  /** A recompile put ahead of a validate on a fresh thread: nobody waits for it. */
  readonly lazy: boolean;
  /** Threads it was lost to (a restart while it was posted). */
  losses: number;
  settled: boolean;
  settle(outcome: Outcome): void;
}

/**
 * Compiles and runs node-supplied schemas in a worker thread, so that no schema and no
 * input can hold the daemon's event loop: the main thread only posts the schema text (once
 * per compile) and the input's JSON text, and reads back a list of problems.
 *
 * Compiled validators are kept by schema text and reference-counted (acquire/release): nodes
 * running the same plugins share one, and it is dropped once no node announces it.
 *
 * Every job has a deadline, counted from when the thread can start on it (it answers in
 * order). A job that overruns, or a thread that crashes (out of memory), has the thread
 * terminated, which is the only way to stop a running ajv function, and replaced:
 * - the job at fault fails: a compile with PALYRA_E_SCHEMA_REFUSED, and its schema text is
 *   remembered as refused (RefusedSchemas), so the same schema cannot have the thread killed
 *   again; an input check with PALYRA_E_INPUT_TOO_COSTLY;
 * - the other jobs the lost thread held are retried once on the new thread, their schemas
 *   recompiled there on first use; a job lost to a second restart fails with
 *   PALYRA_E_SCHEMA_WORKER_RESTARTED.
 *
 * Input checks go before compiles, and the thread holds at most one queued compile, so a
 * dispatch waits behind at most one compile however many schemas nodes announce.
 */
export class SchemaWorker {
  private readonly entries = new Map<string, Entry>();
  private readonly refusals: RefusedSchemas;
  private readonly checks: Job[] = [];
  private readonly compiles: Job[] = [];
  /** Jobs posted to the thread, oldest (the one it is running) first. */
  private posted: Job[] = [];
  private thread: Worker | undefined;
  private ready = false;
  private generation = 0;
  private nextId = 1;
  private headTimer: NodeJS.Timeout | undefined;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private stopping: Promise<void> | undefined;
  private restartCount = 0;
  private readonly compileDeadlineMs: number;
  private readonly inputCheckDeadlineMs: number;

  constructor(private readonly options: SchemaWorkerOptions = {}) {
    this.refusals = new RefusedSchemas(options.maxRememberedRefusals ?? MAX_REMEMBERED_REFUSALS);
    this.compileDeadlineMs = options.compileDeadlineMs ?? SCHEMA_COMPILE_DEADLINE_MS;
    this.inputCheckDeadlineMs = options.inputCheckDeadlineMs ?? INPUT_CHECK_DEADLINE_MS;
  }

  /** Starts the thread; does nothing when started or stopped already. */
  start(): void {
    if (this.state !== 'new') return;
    this.state = 'running';
    this.spawn();
  }

  /** Ends the thread and fails every waiting job; safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  /**
   * The validator of `schemaText` (compiled once while some node uses it), counted as used
   * until release(). A refused schema is PALYRA_E_SCHEMA_REFUSED naming `what`.
   */
  async acquire(schemaText: string, what: string, { signal }: { signal?: AbortSignal } = {}): Promise<ValidateInput> {
    signal?.throwIfAborted();
    if (this.state === 'stopped') throw shuttingDown();
    let entry = this.entries.get(schemaText);
    if (entry === undefined) {
      const reason = this.refusals.reasonFor(schemaText);
      if (reason !== undefined) throw new PalyraError('PALYRA_E_SCHEMA_REFUSED', `${what} is refused: ${reason}`);
      entry = this.createEntry(schemaText, what);
    }
    if (entry.refused !== undefined) throw renamed(entry.refused, entry.what, what);
    entry.users += 1;
    try {
      await abortable(entry.compiled, signal);
    } catch (error) {
      this.unuse(entry);
      throw renamed(error, entry.what, what);
    }
    return entry.validate;
  }

  release(schemaText: string): void {
    const entry = this.entries.get(schemaText);
    if (entry !== undefined) this.unuse(entry);
  }

  /** Distinct schemas held. */
  get size(): number {
    return this.entries.size;
  }

  /** Times the thread was replaced after an overrun or a crash. */
  get restarts(): number {
    return this.restartCount;
  }

  private createEntry(text: string, what: string): Entry {
    const entry: Entry = {
      id: this.nextId++,
      text,
      what,
      users: 0,
      compiled: Promise.resolve(),
      settled: false,
      generation: -1,
      refused: undefined,
      validate: (inputJson, options) => this.check(entry, inputJson, options?.signal),
    };
    this.entries.set(text, entry);
    entry.compiled = this.enqueue('compile', entry, '', undefined).then(
      () => {
        entry.settled = true;
        if (entry.users <= 0) this.drop(entry);
      },
      (error: unknown) => {
        entry.settled = true;
        entry.generation = -1;
        if (this.entries.get(text) === entry) this.entries.delete(text);
        throw error;
      },
    );
    // Acquirers await it; one that gave up (its signal) must not leave an unhandled rejection.
    entry.compiled.catch(() => undefined);
    return entry;
  }

  private unuse(entry: Entry): void {
    entry.users -= 1;
    if (entry.users <= 0 && entry.settled && this.entries.get(entry.text) === entry) this.drop(entry);
  }

  private drop(entry: Entry): void {
    this.entries.delete(entry.text);
    this.releaseInThread(entry);
  }

  /** Frees the thread's copy of a schema no node uses any more (a check may still recompile it). */
  private releaseInThread(entry: Entry): void {
    if (entry.generation !== this.generation || this.thread === undefined) return;
    entry.generation = -1;
    this.thread.postMessage({ op: 'release', id: entry.id } satisfies UntrustedSchemaJob);
  }

  private check(entry: Entry, inputJson: string, signal: AbortSignal | undefined): Promise<string[]> {
    const maxChars = this.options.maxInputChars ?? MAX_CHECKED_INPUT_CHARS;
    if (inputJson.length > maxChars) {
      return Promise.reject(new PalyraError('PALYRA_E_INPUT_INVALID', `the input is longer than ${maxChars} characters as JSON`));
    }
    if (entry.refused !== undefined) return Promise.reject(entry.refused);
    return this.enqueue('validate', entry, inputJson, signal);
  }

  private enqueue(kind: Job['kind'], entry: Entry, inputJson: string, signal: AbortSignal | undefined): Promise<string[]> {
    if (this.state === 'stopped') return Promise.reject(shuttingDown());
    if (this.state === 'new') return Promise.reject(new PalyraError('PALYRA_E_INTERNAL', 'the schema worker was not started'));
    if (signal?.aborted) return Promise.reject(PalyraError.from(signal.reason, 'PALYRA_E_CANCELLED'));
    const maxJobs = this.options.maxJobs ?? MAX_SCHEMA_WORKER_JOBS;
    if (this.checks.length + this.compiles.length + this.posted.length >= maxJobs) {
      return Promise.reject(new PalyraError('PALYRA_E_LIMIT_EXCEEDED', `the daemon's schema worker has ${maxJobs} jobs waiting; retry later`));
    }
    return new Promise<string[]>((resolve, reject) => {
      // A job given up while it waits is skipped when its turn comes; one already posted runs on.
      const onAbort = (): void => job.settle({ error: PalyraError.from(signal?.reason, 'PALYRA_E_CANCELLED') });
      const job: Job = {
        kind,
        entry,
        inputJson,
        lazy: false,
        losses: 0,
        settled: false,
        settle: (outcome) => {
          if (job.settled) return;
          job.settled = true;
          signal?.removeEventListener('abort', onAbort);
          if ('error' in outcome) reject(outcome.error);
          else resolve(outcome.problems);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      (kind === 'validate' ? this.checks : this.compiles).push(job);
      this.pump();
    });
  }

  /** Hands waiting jobs to the thread, input checks first. */
  private pump(): void {
    if (this.state !== 'running') return;
    if (this.thread === undefined) this.spawn();
    while (this.posted.length < MAX_POSTED_JOBS) {
      const job = this.takeNext();
      if (job === undefined) return;
      if (job.settled) continue;
      const { entry } = job;
      if (job.kind === 'validate') {
        if (entry.refused !== undefined) {
          job.settle({ error: entry.refused });
          continue;
        }
        if (entry.generation !== this.generation) this.post(lazyCompile(entry));
      }
      this.post(job);
    }
  }

  private takeNext(): Job | undefined {
    if (this.checks.length > 0) return this.checks.shift();
    // One compile in the thread at a time: a check posted next waits behind at most that one.
    if (this.posted.some((job) => job.kind === 'compile')) return undefined;
    return this.compiles.shift();
  }

  private post(job: Job): void {
    const { entry } = job;
    const thread = this.thread as Worker;
    if (job.kind === 'compile') {
      thread.postMessage({ op: 'compile', id: entry.id, schemaText: entry.text, what: entry.what } satisfies UntrustedSchemaJob);
      entry.generation = this.generation;
    } else {
      thread.postMessage({ op: 'validate', id: entry.id, inputJson: job.inputJson } satisfies UntrustedSchemaJob);
    }
    this.posted.push(job);
    if (this.posted.length === 1) {
      // Busy: the process waits for the answers (idle, the thread keeps nothing alive).
      thread.ref();
      this.armHeadDeadline();
    }
  }

  /** The thread runs posted jobs in order: the oldest is the one running now. */
  private armHeadDeadline(): void {
    clearTimeout(this.headTimer);
    this.headTimer = undefined;
    const head = this.posted[0];
    if (head === undefined || !this.ready) return;
    const ms = head.kind === 'compile' ? this.compileDeadlineMs : this.inputCheckDeadlineMs;
    this.headTimer = setTimeout(() => {
      // The answer may be waiting already: a busy event loop (a fan-out to thousands of
      // nodes) runs due timers before it polls the thread's port. The poll phase comes before
      // setImmediate's, so the job is judged only once its answer could have been read.
      setImmediate(() => {
        if (this.posted[0] === head) this.replaceThread(`took longer than ${ms} ms`);
      });
    }, ms);
  }

  private onReply(reply: UntrustedSchemaReply): void {
    if ('ready' in reply) {
      this.ready = true;
      this.armHeadDeadline();
      return;
    }
    const job = this.posted.shift();
    this.armHeadDeadline();
    if (this.posted.length === 0) this.thread?.unref();
    if (job !== undefined) {
      job.settle(reply.ok ? { problems: reply.problems } : { error: PalyraError.fromJSON(reply.error) });
      // A check for a schema dropped meanwhile (its node announced another) recompiled it: free it again.
      if (job.kind === 'validate' && this.entries.get(job.entry.text) !== job.entry) this.releaseInThread(job.entry);
    }
    this.pump();
  }

  private onExit(failure: Error | undefined, code: number): void {
    const why = failure === undefined ? `the thread exited with code ${code}` : failure.message.slice(0, 200);
    if (this.ready) {
      this.replaceThread(`crashed the schema worker (${why})`);
      return;
    }
    // It could not even start: failing what waits (rather than respawning in a loop); the next job tries again.
    this.discardThread();
    const error = new PalyraError('PALYRA_E_INTERNAL', `the schema worker could not start: ${why}`);
    for (const job of this.takeAllJobs()) job.settle({ error });
  }

  /**
   * Terminates the thread (a job overran it, or it crashed), fails the job at fault, and
   * starts a new thread for the others.
   */
  private replaceThread(fault: string): void {
    const [culprit, ...others] = this.posted;
    this.posted = [];
    this.discardThread();
    this.restartCount += 1;
    if (culprit !== undefined) {
      const { entry } = culprit;
      if (culprit.kind === 'compile') {
        const reason = `compiling it ${fault}`;
        this.refusals.remember(entry.text, reason);
        entry.refused = new PalyraError('PALYRA_E_SCHEMA_REFUSED', `${entry.what} is refused: ${reason}`);
        culprit.settle({ error: entry.refused });
      } else {
        culprit.settle({ error: new PalyraError('PALYRA_E_INPUT_TOO_COSTLY', `checking the input against ${entry.what} ${fault}`) });
      }
    }
    const retried: Record<Job['kind'], Job[]> = { validate: [], compile: [] };
    for (const job of others) {
      if (job.lazy || job.settled) continue;
      job.losses += 1;
      if (job.losses > 1) {
        job.settle({ error: new PalyraError('PALYRA_E_SCHEMA_WORKER_RESTARTED', `the schema worker was restarted twice while ${job.entry.what} waited; retry`) });
      } else {
        retried[job.kind].push(job);
      }
    }
    this.checks.unshift(...retried.validate);
    this.compiles.unshift(...retried.compile);
    this.options.onRestart?.(culprit === undefined ? `the schema worker ${fault}` : `a job on ${culprit.entry.what} ${fault}`);
    this.spawn();
    this.pump();
  }

  private spawn(): void {
    const thread = new Worker(UNTRUSTED_SCHEMA_WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB } });
    this.thread = thread;
    this.ready = false;
    this.generation += 1;
    let failure: Error | undefined;
    thread.on('message', (reply: UntrustedSchemaReply) => {
      if (this.thread === thread) this.onReply(reply);
    });
    // Without a listener, an error in the thread would be thrown in the daemon.
    thread.on('error', (error: Error) => {
      failure = error;
    });
    thread.on('exit', (code: number) => {
      if (this.thread === thread) this.onExit(failure, code);
    });
    // Idle, the thread must not keep the process alive: the daemon's life is its servers'.
    thread.unref();
  }

  private discardThread(): void {
    clearTimeout(this.headTimer);
    this.headTimer = undefined;
    const thread = this.thread;
    this.thread = undefined;
    this.ready = false;
    void thread?.terminate().catch(() => undefined);
  }

  private takeAllJobs(): Job[] {
    const jobs = [...this.posted, ...this.checks, ...this.compiles];
    this.posted = [];
    this.checks.length = 0;
    this.compiles.length = 0;
    return jobs;
  }

  private async shutDown(): Promise<void> {
    this.state = 'stopped';
    const thread = this.thread;
    this.thread = undefined;
    clearTimeout(this.headTimer);
    const error = shuttingDown();
    for (const job of this.takeAllJobs()) job.settle({ error });
    this.entries.clear();
    await thread?.terminate().catch(() => undefined);
  }
}

function lazyCompile(entry: Entry): Job {
  const job: Job = {
    kind: 'compile',
    entry,
    inputJson: '',
    lazy: true,
    losses: 0,
    settled: false,
    settle: (outcome) => {
      job.settled = true;
      // It compiled before: failing now is not expected, but its checks must not run blind.
      if ('error' in outcome) entry.refused ??= outcome.error;
    },
  };
  return job;
}

function shuttingDown(): PalyraError {
  return new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', 'the daemon is shutting down');
}

/**
 * An error about a schema names the capability that first announced it (the compile is
 * shared); each caller gets it with its own name.
 */
function renamed(error: unknown, from: string, to: string): unknown {
  if (!(error instanceof PalyraError) || from === to || !error.message.startsWith(from)) return error;
  return new PalyraError(error.code, to + error.message.slice(from.length), error.details === undefined ? {} : { details: error.details });
}
