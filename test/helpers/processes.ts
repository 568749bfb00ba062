import { spawn, type ChildProcess, type SpawnOptions as NodeSpawnOptions } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const PALYRAD = join(root, 'daemon', 'bin', 'palyrad.js');
export const PALYRA_NODE = join(root, 'agent', 'bin', 'palyra-node.js');

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  /** Runs the program under this umask (e.g. 0o000 to check that it sets file modes itself). */
  umask?: number;
  /** Written to the program's stdin, which is then closed (stdin is /dev/null otherwise). */
  stdin?: string;
}

/**
 * Timeouts for tests that drive several real processes. Generous on purpose: they bound a
 * hang, they do not measure speed, and a loaded 2-core machine runs a pairing in seconds.
 */
export const E2E_TEST_TIMEOUT_MS = 240_000;
export const E2E_HOOK_TIMEOUT_MS = 120_000;
/** Default bound of one wait on a process (a line, an exit). */
export const PROCESS_WAIT_MS = 60_000;

/** Every process spawned through these helpers that has not exited yet. */
const live = new Set<RunningProcess>();

// Last resort when a test run is torn down without its hooks: no daemon or agent outlives
// the test process (SIGKILL also ends a process a test stopped with SIGSTOP).
process.once('exit', () => {
  for (const running of live) running.child.kill('SIGKILL');
});

/** A child process whose output is collected, with a way to wait for a line. */
export class RunningProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<CommandResult>;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly child: ChildProcess,
    /** What ran, for messages. */
    readonly label = 'process',
  ) {
    live.add(this);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      for (const waiter of this.waiters) waiter();
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      for (const waiter of this.waiters) waiter();
    });
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        live.delete(this);
        for (const waiter of this.waiters) waiter();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.label} has no pid (spawn failed)`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until stdout (or stderr) matches; fails with the output so far if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs = PROCESS_WAIT_MS, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = this[stream].match(pattern);
        if (match !== null) {
          cleanup();
          resolve(match);
        } else if (!this.running) {
          cleanup();
          reject(new Error(`${this.label} exited (${this.child.exitCode ?? this.child.signalCode}) before ${stream} matched ${pattern}: ${this.describe()}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern} on ${stream} of ${this.label}: ${this.describe()}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Waits for the process to exit by itself; fails (leaving it running) after `timeoutMs`. */
  async waitForExit(timeoutMs = PROCESS_WAIT_MS): Promise<CommandResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`${this.label} still runs after ${timeoutMs} ms: ${this.describe()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a signal if the process still runs. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /**
   * Stops the process (SIGTERM, then SIGKILL after a grace period) and waits for it. Also
   * continues a process a test stopped with SIGSTOP, which would otherwise never see SIGTERM.
   */
  async stop(graceMs = 5_000): Promise<CommandResult> {
    if (this.running) {
      this.child.kill('SIGTERM');
      this.child.kill('SIGCONT');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      const result = await this.exited;
      clearTimeout(timer);
      return result;
    }
    return this.exited;
  }

  private describe(): string {
    return `stdout=${JSON.stringify(this.stdout)} stderr=${JSON.stringify(this.stderr)}`;
  }
}

/**
 * What every spawned program gets: the node keeps its identity in the encrypted file vault
 * with its key file in the state dir (tests run headless: no OS vault, no prompt).
 */
export const TEST_ENV: Readonly<NodeJS.ProcessEnv> = { PALYRA_VAULT: 'file' };

/**
 * Spawns `node <bin> ...args` in the temp dir (so no config file is found from the
 * repository) with this process's environment minus PALYRA_* (but PALYRA_DEBUG), plus
 * TEST_ENV, plus `env`.
 */
export function spawnBin(bin: string, args: string[], env: NodeJS.ProcessEnv = {}, { umask, stdin }: SpawnOptions = {}): RunningProcess {
  // A developer's own PALYRA_* settings (state dir, daemon, vault, config...) must not leak in.
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PALYRA_') || name === 'PALYRA_DEBUG'));
  const options: NodeSpawnOptions = { cwd: tmpdir(), env: { ...base, ...TEST_ENV, ...env }, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] };
  const argv = [bin, ...args];
  // A umask is per process: set it in a shell that then execs node (same pid, so signals reach node).
  const child =
    umask === undefined
      ? spawn(process.execPath, argv, options)
      : spawn('/bin/sh', ['-c', `umask ${umask.toString(8).padStart(3, '0')} && exec "$0" "$@"`, process.execPath, ...argv], options);
  if (stdin !== undefined) {
    // A program that exits without reading all of it must not fail the test with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(stdin);
  }
  const name = bin === PALYRAD ? 'palyrad' : bin === PALYRA_NODE ? 'palyra-node' : bin;
  return new RunningProcess(child, `${name} ${args.join(' ')}`);
}

/** Runs a CLI command to completion. */
export function runBin(bin: string, args: string[], env: NodeJS.ProcessEnv = {}, options: SpawnOptions = {}): Promise<CommandResult> {
  return spawnBin(bin, args, env, options).exited;
}

/** The processes spawned by these helpers that still run. */
export function liveProcesses(): RunningProcess[] {
  return [...live];
}

/**
 * Stops every process spawned by these helpers that still runs, except `keep` (e.g. a daemon
 * shared by the tests of a file). Call it in afterEach/afterAll so no test leaks a process.
 */
export async function stopProcesses(keep: Iterable<RunningProcess | undefined> = []): Promise<void> {
  const kept = new Set(keep);
  await Promise.all(liveProcesses().filter((p) => !kept.has(p)).map((p) => p.stop()));
}

/** Temp dirs removed by `cleanup()`. */
export class TempDirs {
  private readonly dirs: string[] = [];

  async make(prefix = 'palyra-test-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** Polls `probe` until it returns a value other than undefined; fails after `timeoutMs` with the last value seen. */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  { timeoutMs = PROCESS_WAIT_MS, intervalMs = 250, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
