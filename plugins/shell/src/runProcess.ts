import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { PalyraError } from '@palyra/shared/errors';
import { CappedOutput } from './CappedOutput.js';
import { KILL_GRACE_MS, ProcessGroup } from './ProcessGroup.js';

export type StreamName = 'stdout' | 'stderr';

export interface RunSpec {
  /** Absolute path of the program (already allowed). */
  file: string;
  args: readonly string[];
  cwd: string;
  /** The complete environment of the child (nothing is inherited). */
  env: Record<string, string>;
  /** Written to stdin then closed; undefined gives the child /dev/null. */
  stdin: string | undefined;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Aborting kills the process tree; the outcome then has `aborted: true`. */
  signal: AbortSignal;
  /** Receives each chunk as it arrives, cut at `maxOutputBytes` per stream. */
  onChunk(chunk: Uint8Array, stream: StreamName): void;
  /** What to call the command in messages. */
  label: string;
  graceMs?: number;
}

export interface RunOutcome {
  pid: number;
  exitCode: number | null;
  signal: string | null;
  stdout: CappedOutput;
  stderr: CappedOutput;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
}

/** How long the pipes may stay open after the group was killed (held by a process that left the group). */
const DRAIN_MS = 1000;

/**
 * Runs one command to completion in its own process group. When the command exits, when
 * `timeoutMs` runs out, or when `signal` aborts, the whole group gets SIGTERM, then SIGKILL
 * after the grace: nothing the command started outlives it. Output is collected (capped)
 * and streamed as it comes. Never rejects for a non-zero exit; rejects with
 * PALYRA_E_EXEC_FAILED when the program cannot start.
 */
export async function runProcess(spec: RunSpec): Promise<RunOutcome> {
  const started = performance.now();
  const subprocess = execa(spec.file, [...spec.args], {
    cwd: spec.cwd,
    env: spec.env,
    extendEnv: false,
    ...(spec.stdin === undefined ? { stdin: 'ignore' as const } : { input: spec.stdin }),
    // Own process group, so the tree can be killed as one; the group is killed by ProcessGroup.
    detached: process.platform !== 'win32',
    cleanup: false,
    forceKillAfterDelay: false,
    buffer: false,
    reject: false,
    stripFinalNewline: false,
    windowsHide: true,
  });

  const pid = subprocess.pid;
  if (pid === undefined) {
    const failed = await subprocess;
    const code = typeof failed.code === 'string' ? failed.code : 'unknown';
    throw new PalyraError('PALYRA_E_EXEC_FAILED', `cannot start "${spec.label}": ${describeSpawnError(code)}`, {
      cause: failed.cause ?? failed,
      details: { command: spec.label, code },
    });
  }

  const group = new ProcessGroup(pid, (signal) => subprocess.kill(signal), spec.graceMs ?? KILL_GRACE_MS);
  const stdout = new CappedOutput(spec.maxOutputBytes);
  const stderr = new CappedOutput(spec.maxOutputBytes);
  let timedOut = false;
  let aborted = false;
  let exited = false;

  const collect = (output: CappedOutput, stream: StreamName) => (chunk: Buffer | string) => {
    const accepted = output.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    if (accepted.byteLength > 0) spec.onChunk(accepted, stream);
  };
  subprocess.stdout?.on('data', collect(stdout, 'stdout'));
  subprocess.stderr?.on('data', collect(stderr, 'stderr'));

  const timer = setTimeout(() => {
    if (exited) return;
    timedOut = true;
    group.terminate();
  }, spec.timeoutMs);
  const onAbort = (): void => {
    aborted = true;
    group.terminate();
  };
  spec.signal.addEventListener('abort', onAbort, { once: true });
  if (spec.signal.aborted) onAbort();

  subprocess.once('exit', () => {
    exited = true;
    clearTimeout(timer);
    // Kill what the command left behind (background jobs) so it ends with its dispatch.
    group.terminate();
  });
  // A process that left the group (setsid) may hold the pipes open: stop waiting for it.
  let done = false;
  let drainTimer: NodeJS.Timeout | undefined;
  void group.settled.then(() => {
    if (done) return;
    drainTimer = setTimeout(() => {
      subprocess.stdout?.destroy();
      subprocess.stderr?.destroy();
    }, DRAIN_MS);
  });

  try {
    const result = await subprocess;
    return {
      pid,
      exitCode: result.exitCode ?? null,
      signal: result.signal ?? null,
      stdout,
      stderr,
      timedOut: timedOut && !aborted,
      aborted,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    clearTimeout(timer);
    spec.signal.removeEventListener('abort', onAbort);
    done = true;
    clearTimeout(drainTimer);
  }
}

function describeSpawnError(code: string): string {
  switch (code) {
    case 'ENOENT':
      return 'ENOENT (no such file or directory)';
    case 'EACCES':
      return 'EACCES (not executable, or permission denied)';
    case 'E2BIG':
      return 'E2BIG (argument list too long)';
    default:
      return code;
  }
}
