import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { PalyraError, compileSchema, type CapabilityContext, type CapabilityDefinition, type ErrorCode, type ProgressUpdate } from '@palyra/shared';
import type { FsGrants } from '../src/index.js';

export interface LoggedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown> | undefined;
}

export interface TestContext {
  ctx: CapabilityContext<FsGrants>;
  controller: AbortController;
  writes: (string | Uint8Array)[];
  progress: ProgressUpdate[];
  logs: LoggedLine[];
}

/** A real CapabilityContext whose side channels are collected for assertions. */
export function makeContext(grants: FsGrants, signal?: AbortSignal): TestContext {
  const controller = new AbortController();
  const writes: (string | Uint8Array)[] = [];
  const progress: ProgressUpdate[] = [];
  const logs: LoggedLine[] = [];
  const log = (level: LoggedLine['level']) => (message: string, fields?: Record<string, unknown>) => {
    logs.push({ level, message, fields });
  };
  const ctx: CapabilityContext<FsGrants> = {
    signal: signal ?? controller.signal,
    deadline: new Date(Date.now() + 60_000),
    dispatchId: 'dispatch-test',
    grants,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    write: (chunk) => writes.push(chunk),
    progress: (update) => progress.push(update),
  };
  return { ctx, controller, writes, progress, logs };
}

/** Temp directories created by a test, removed by `cleanup()` in afterEach. */
export class TempDirs {
  private readonly dirs: string[] = [];

  /** A fresh directory, returned as its real path (tmpdir may itself be a symlink). */
  async make(prefix = 'palyra-fs-'): Promise<string> {
    const dir = await realpath(await mkdtemp(join(tmpdir(), prefix)));
    this.dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** Runs `promise` and expects a PalyraError with `code`; returns it for further checks. */
export async function expectPalyraError(promise: Promise<unknown>, code: ErrorCode): Promise<PalyraError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PalyraError);
  const palyra = error as PalyraError;
  expect(palyra.code, palyra.message).toBe(code);
  return palyra;
}

/** Expects `value` to satisfy the capability's input or output schema. */
export function expectMatchesSchema(
  capability: CapabilityDefinition<unknown, unknown, FsGrants>,
  which: 'inputSchema' | 'outputSchema',
  value: unknown,
): void {
  const validate = compileSchema(capability[which], `${capability.id} ${which}`);
  expect(validate(value)).toEqual([]);
}

/** A signal that reports aborted after it has been checked `checks` times. */
export function signalAbortingAfter(checks: number): AbortSignal {
  const controller = new AbortController();
  let seen = 0;
  return new Proxy(controller.signal, {
    get(target, property) {
      if (property === 'aborted') {
        seen += 1;
        if (seen > checks && !target.aborted) controller.abort();
        return target.aborted;
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
