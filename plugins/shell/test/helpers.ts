import { readFileSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { PalyraError, compileSchema, type CapabilityContext } from '@palyra/shared';
import {
  SHELL_EXEC_INPUT_SCHEMA,
  SHELL_EXEC_OUTPUT_SCHEMA,
  shellExec,
  type ShellExecInput,
  type ShellExecOutput,
  type ShellGrants,
} from '../src/index.js';

const validateInput = compileSchema(SHELL_EXEC_INPUT_SCHEMA, 'shell.exec input');
const validateOutput = compileSchema(SHELL_EXEC_OUTPUT_SCHEMA, 'shell.exec output');

export interface CtxOptions {
  signal?: AbortSignal;
  deadline?: Date;
  /** Called after each streamed chunk with everything streamed so far. */
  onWrite?: (streamed: string, chunk: Buffer) => void;
}

export interface Harness {
  ctx: CapabilityContext<ShellGrants>;
  chunks: Buffer[];
  streamed(): string;
  logs: { level: string; message: string }[];
}

/** A capability context like the host's: grants as given, chunks recorded. */
export function makeCtx(grants: unknown, options: CtxOptions = {}): Harness {
  const chunks: Buffer[] = [];
  const logs: { level: string; message: string }[] = [];
  const log = (level: string) => (message: string) => void logs.push({ level, message });
  const streamed = (): string => Buffer.concat(chunks).toString('utf8');
  const ctx: CapabilityContext<ShellGrants> = {
    signal: options.signal ?? new AbortController().signal,
    deadline: options.deadline ?? new Date(Date.now() + 120_000),
    dispatchId: 'test-dispatch',
    grants: grants as ShellGrants,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    write(chunk) {
      const buffer = Buffer.from(chunk);
      chunks.push(buffer);
      options.onWrite?.(streamed(), buffer);
    },
    progress() {},
  };
  return { ctx, chunks, streamed, logs };
}

/** Runs shell.exec with an input that must pass the input schema; the output must pass the output schema. */
export async function exec(input: ShellExecInput, grants: ShellGrants, options: CtxOptions = {}): Promise<Harness & { output: ShellExecOutput }> {
  expect(validateInput(input)).toEqual([]);
  const harness = makeCtx(grants, options);
  const output = await shellExec.execute(input, harness.ctx);
  expect(validateOutput(output)).toEqual([]);
  return { ...harness, output };
}

/** Runs shell.exec expecting a PalyraError. */
export async function execError(input: unknown, grants: unknown, options: CtxOptions = {}): Promise<PalyraError> {
  const harness = makeCtx(grants, options);
  try {
    const output = await shellExec.execute(input as ShellExecInput, harness.ctx);
    throw new Error(`expected an error, got ${JSON.stringify(output)}`);
  } catch (error) {
    expect(error).toBeInstanceOf(PalyraError);
    return error as PalyraError;
  }
}

/** Temp directories (real paths) removed after each test of the file that calls this. */
export function useTempDirs(): () => Promise<string> {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await realpath(await mkdtemp(join(tmpdir(), 'palyra-shell-test-')));
    dirs.push(dir);
    return dir;
  };
}

/**
 * Whether `pid` is a running process. A zombie (dead, not yet reaped: in a container whose
 * PID 1 does not reap orphans it stays so) counts as dead.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/** Polls `condition` until true or `timeoutMs` (a generous bound) passes. */
export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return condition();
}
