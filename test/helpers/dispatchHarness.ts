/**
 * Helpers for the dispatch end-to-end tests: a `palyra-node run --config` agent, the
 * `palyrad nodes invoke` CLI, and checks on the processes a capability starts.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ERROR_CODES, type ErrorCode } from '@palyra/shared';
import { expect } from 'vitest';
import type { DaemonProcess } from './daemonHarness.js';
import { PALYRAD, PALYRA_NODE, RunningProcess, pollUntil, runBin, spawnBin, type CommandResult } from './processes.js';

/** `palyrad nodes invoke --json` */
export interface InvokeJson {
  dispatchId: string;
  status: 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'node_unavailable' | 'rejected';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each capability has its own output shape
  output: any;
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> } | null;
  durationMs: number;
}

/** Writes a palyra-node config file into `dir` and returns its path. */
export async function writeNodeConfig(dir: string, config: unknown, name = 'palyra-node.config.json'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

/**
 * Starts `palyra-node run --config <file>` and waits until it registered. `cwd` lets a test
 * run it the way a user would from a given directory (relative --config paths).
 */
export async function startAgent(
  nodeStateDir: string,
  configPath: string,
  { cwd, env = {} }: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunningProcess> {
  const args = ['run', '--state-dir', nodeStateDir, '--config', configPath];
  const agent =
    cwd === undefined
      ? spawnBin(PALYRA_NODE, args, env)
      : new RunningProcess(
          spawn(process.execPath, [PALYRA_NODE, ...args], {
            cwd,
            env: { ...process.env, PALYRA_STATE_DIR: '', PALYRA_DAEMON: '', PALYRA_NODE_CONFIG: '', ...env },
            stdio: ['ignore', 'pipe', 'pipe'],
          }),
          `palyra-node ${args.join(' ')}`,
        );
  try {
    await agent.waitFor(/^palyra-node ready device=\S+$/m, 30_000);
  } catch (error) {
    await agent.stop();
    throw error;
  }
  return agent;
}

function invokeArgs(daemon: DaemonProcess, deviceId: string, capability: string, input: unknown, extra: string[]): string[] {
  const inputArgs = input === undefined ? [] : ['--input', typeof input === 'string' ? input : JSON.stringify(input)];
  return ['nodes', 'invoke', deviceId, capability, ...inputArgs, ...extra, '--state-dir', daemon.stateDir];
}

/** Starts `palyrad nodes invoke` and leaves it running (to watch its output, or signal it). */
export function spawnInvoke(daemon: DaemonProcess, deviceId: string, capability: string, input: unknown, extra: string[] = []): RunningProcess {
  return spawnBin(PALYRAD, invokeArgs(daemon, deviceId, capability, input, extra));
}

/** Runs `palyrad nodes invoke` to completion. */
export function runInvoke(daemon: DaemonProcess, deviceId: string, capability: string, input: unknown, extra: string[] = []): Promise<CommandResult> {
  return runBin(PALYRAD, invokeArgs(daemon, deviceId, capability, input, extra));
}

/**
 * The CLI contract of `nodes invoke --json`: exactly one JSON document on stdout, and an
 * exit code of 0 only for `succeeded`, else the exit code of the error's code.
 */
export function parseInvokeJson(result: CommandResult): InvokeJson {
  const context = `exit ${result.code}, stdout=${JSON.stringify(result.stdout)} stderr=${JSON.stringify(result.stderr)}`;
  let json: InvokeJson | undefined;
  expect(() => {
    json = JSON.parse(result.stdout) as InvokeJson;
  }, `stdout must be one JSON document: ${context}`).not.toThrow();
  const parsed = json as InvokeJson;
  expect(Object.keys(parsed).sort(), context).toEqual(['dispatchId', 'durationMs', 'error', 'output', 'status']);
  if (parsed.status === 'succeeded') {
    expect(result.code, context).toBe(0);
    expect(parsed.error, context).toBeNull();
  } else {
    expect(parsed.error, `a ${parsed.status} dispatch carries an error: ${context}`).not.toBeNull();
    expect(result.code, context).toBe(ERROR_CODES[parsed.error!.code].exitCode);
    expect(result.code, context).not.toBe(0);
    expect(parsed.output, context).toBeNull();
  }
  return parsed;
}

/** Runs `nodes invoke ... --json` and checks its contract. */
export async function invokeJson(
  daemon: DaemonProcess,
  deviceId: string,
  capability: string,
  input: unknown,
  extra: string[] = [],
): Promise<InvokeJson> {
  return parseInvokeJson(await runInvoke(daemon, deviceId, capability, input, [...extra, '--json']));
}

/** Is this pid a live process (a zombie, dead but not yet reaped, counts as gone)? */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Is `pid` still the process a test's command started? Alive, and its command line still
 * contains `marker` (so a pid reused by someone else's process is never mistaken for it).
 */
export function commandStillRuns(pid: number, marker: string): boolean {
  if (!pidAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker);
  } catch {
    return false;
  }
}

/** Waits (generously) until the process is gone. */
export async function waitForPidGone(pid: number, what: string, timeoutMs = 20_000): Promise<void> {
  await pollUntil(async () => (pidAlive(pid) ? undefined : true), { timeoutMs, intervalMs: 100, what: `${what} (pid ${pid}) to be gone` });
}

/** Waits until a command wrote its pid(s) to a file (one per line) and returns them. */
export async function readPids(path: string, count: number, timeoutMs = 20_000): Promise<number[]> {
  return pollUntil(
    async () => {
      const text = await readFile(path, 'utf8').catch(() => '');
      const pids = text.split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number);
      return pids.length >= count ? pids : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `${count} pid(s) in ${path}` },
  );
}

/** Kills what a test's command left behind (its process group, then the pid) if it still runs as `marker`. */
export function killLeftover(pid: number, marker: string): void {
  if (!commandStillRuns(pid, marker)) return;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
