import { fileURLToPath } from 'node:url';
import type { PluginLogger, ProgressUpdate } from '@palyra/shared';
import type { AgentConfig } from '../../src/config/index.js';
import { PluginHost, type BuiltinPlugin, type ExecuteRequest, type ExecutionSink } from '../../src/plugins/index.js';

/** The directory of the fixture plugins; relative `use` paths in tests resolve against it. */
export const FIXTURES = fileURLToPath(new URL('../fixtures/plugins/', import.meta.url));

export interface LogLine {
  level: keyof PluginLogger;
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps every line. */
export class CapturingLogger implements PluginLogger {
  readonly lines: LogLine[] = [];
  debug(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'debug', message, fields });
  }
  info(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'error', message, fields });
  }
}

/** A sink that records chunks and progress, with when they arrived. */
export class RecordingSink implements ExecutionSink {
  readonly chunks: Uint8Array[] = [];
  readonly updates: ProgressUpdate[] = [];
  /** Called on every write, e.g. to check whether execute has resolved yet. */
  onWrite: (chunk: Uint8Array) => void = () => {};
  private wrote!: () => void;
  /** Settles at the first write: the capability is running. */
  readonly firstWrite = new Promise<void>((resolve) => (this.wrote = resolve));

  write(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.wrote();
    this.onWrite(chunk);
  }

  progress(update: ProgressUpdate): void {
    this.updates.push(update);
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Hosts a test loaded; `disposeHosts()` in afterEach disposes them. */
const hosts: PluginHost[] = [];

export async function loadHost(
  config: AgentConfig,
  { builtins = {}, logger = new CapturingLogger(), baseDir = FIXTURES, signal = new AbortController().signal }: {
    builtins?: Record<string, BuiltinPlugin>;
    logger?: PluginLogger;
    baseDir?: string;
    signal?: AbortSignal;
  } = {},
): Promise<PluginHost> {
  const host = await PluginHost.load({ config, baseDir, signal, logger, builtins });
  hosts.push(host);
  return host;
}

export async function disposeHosts(): Promise<void> {
  await Promise.all(hosts.splice(0).map((host) => host.dispose()));
}

let counter = 0;

export function request(capability: string, input: unknown = {}, { deadlineMs = 5_000, signal = new AbortController().signal } = {}): ExecuteRequest {
  counter += 1;
  return { dispatchId: `d-${counter}`, capability, input, deadline: new Date(Date.now() + deadlineMs), signal };
}

/** A built-in made from an in-memory plugin object. */
export function builtin(plugin: unknown, source = 'in-memory'): BuiltinPlugin {
  return { source, load: async () => ({ default: plugin }) };
}

/** Rejects with the error `promise` rejects with, or fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}
