import { spawn, type ChildProcess } from 'node:child_process';
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

/** A child process whose output is collected, with a way to wait for a line. */
export class RunningProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<CommandResult>;
  private readonly waiters = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
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
        for (const waiter of this.waiters) waiter();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until stdout matches; fails with the output so far if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = this.stdout.match(pattern);
        if (match !== null) {
          cleanup();
          resolve(match);
        } else if (!this.running) {
          cleanup();
          reject(new Error(`process exited before ${pattern}: stdout=${this.stdout} stderr=${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${pattern}: stdout=${this.stdout} stderr=${this.stderr}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Stops the process (SIGTERM, then SIGKILL after a grace period) and waits for it. */
  async stop(graceMs = 5_000): Promise<CommandResult> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      const result = await this.exited;
      clearTimeout(timer);
      return result;
    }
    return this.exited;
  }
}

export function spawnBin(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): RunningProcess {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, PALYRA_STATE_DIR: '', PALYRA_DAEMON: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new RunningProcess(child);
}

/** Runs a CLI command to completion. */
export function runBin(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
  return spawnBin(bin, args, env).exited;
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
