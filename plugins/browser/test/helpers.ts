import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { expect } from 'vitest';
import { PalyraError, compileSchema, type CapabilityContext, type PluginDefinition } from '@palyra/shared';
import { createBrowserPlugin, type BrowserGrants } from '../src/index.js';

/** Set in the browser's environment by the test plugins, so a test finds its own Chromium processes. */
export const MARKER_VAR = 'PALYRA_BROWSER_TEST_RUN';

export interface TestPlugin {
  plugin: PluginDefinition<BrowserGrants>;
  marker: string;
  /** Runs a capability like the host does: input and output checked against the schemas. */
  run<T = Record<string, unknown>>(id: string, input: Record<string, unknown>, grants: BrowserGrants, options?: CtxOptions): Promise<T>;
  /** Runs a capability expecting a PalyraError. */
  fail(id: string, input: Record<string, unknown>, grants: BrowserGrants, options?: CtxOptions): Promise<PalyraError>;
  /** Disposes the plugin and checks that none of its Chromium processes is left. */
  close(): Promise<void>;
}

export interface CtxOptions {
  signal?: AbortSignal;
  deadline?: Date;
}

/** The plugin never uses secrets; a context has them (the cast keeps this file valid either way). */
export const NO_SECRETS = {
  get: async () => undefined,
  set: async () => Promise.reject(new Error('no secrets in tests')),
  list: async () => [],
  delete: async () => false,
};

export function makeCtx(grants: BrowserGrants, options: CtxOptions = {}): CapabilityContext<BrowserGrants> {
  const log = (): void => {};
  return {
    signal: options.signal ?? new AbortController().signal,
    deadline: options.deadline ?? new Date(Date.now() + 60_000),
    dispatchId: 'test-dispatch',
    grants,
    logger: { debug: log, info: log, warn: log, error: log },
    secrets: NO_SECRETS,
    write() {},
    progress() {},
  } as CapabilityContext<BrowserGrants>;
}

/** A browser plugin with its own runtime whose Chromium processes carry a marker (and `launchEnv`). */
export function testPlugin(launchEnv: Readonly<Record<string, string>> = {}): TestPlugin {
  const marker = randomUUID();
  const plugin = createBrowserPlugin({ launchEnv: { ...launchEnv, [MARKER_VAR]: marker } });
  const capability = (id: string) => {
    const found = plugin.capabilities.find((c) => c.id === id);
    if (found === undefined) throw new Error(`no capability ${id}`);
    return found;
  };
  return {
    plugin,
    marker,
    async run<T>(id: string, input: Record<string, unknown>, grants: BrowserGrants, options: CtxOptions = {}): Promise<T> {
      const cap = capability(id);
      expect(compileSchema(cap.inputSchema, `${id} input`)(input)).toEqual([]);
      const output: unknown = await cap.execute(input, makeCtx(grants, options));
      expect(compileSchema(cap.outputSchema, `${id} output`)(JSON.parse(JSON.stringify(output)))).toEqual([]);
      return output as T;
    },
    async fail(id, input, grants, options = {}) {
      try {
        const output: unknown = await capability(id).execute(input, makeCtx(grants, options));
        throw new Error(`expected an error, got ${JSON.stringify(output).slice(0, 500)}`);
      } catch (error) {
        expect(error).toBeInstanceOf(PalyraError);
        return error as PalyraError;
      }
    },
    async close() {
      await plugin.dispose?.();
      expect(await waitFor(() => markedPids(marker).length === 0, 15_000), `Chromium processes left: ${markedPids(marker).join(', ')}`).toBe(true);
    },
  };
}

/** Live (not zombie) processes whose environment carries the marker. */
export function markedPids(marker: string): number[] {
  const wanted = `${MARKER_VAR}=${marker}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(wanted)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
      pids.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

/** The browser's main process (the one without a --type= switch) among the marked ones. */
export function browserMainPid(marker: string): number | undefined {
  return markedPids(marker).find((pid) => {
    try {
      return !readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('--type=');
    } catch {
      return false;
    }
  });
}

export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

/** Width and height read from a PNG's signature and IHDR chunk (independently of the plugin). */
export function decodePngHeader(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

export interface SeenRequest {
  method: string;
  url: string;
  body: string;
  cookie: string | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A node:http server on 127.0.0.1, port 0, that records what it is asked. */
export class TestServer {
  readonly seen: SeenRequest[] = [];
  readonly upgrades: string[] = [];
  /** Requests that got no answer and whose connection then closed. */
  readonly abandoned: string[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(routes: (server: TestServer) => Record<string, Handler>): Promise<TestServer> {
    const server = createServer();
    const test = new TestServer(server);
    const table = routes(test);
    server.on('connection', (socket) => {
      test.sockets.add(socket);
      socket.on('close', () => test.sockets.delete(socket));
    });
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        test.seen.push({ method: req.method ?? 'GET', url: req.url ?? '/', body, cookie: req.headers.cookie });
        res.on('close', () => {
          if (!res.writableFinished) test.abandoned.push(req.url ?? '/');
        });
        const handler = table[`${req.method} ${path}`] ?? table[path];
        if (handler === undefined) res.writeHead(404, { 'content-type': 'text/html' }).end('<title>Not found</title>');
        else handler(req, res, body);
      });
    });
    server.on('upgrade', (req, socket: Socket) => {
      test.upgrades.push(req.url ?? '/');
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return test;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  url(path: string): string {
    return `${this.origin}${path}`;
  }

  saw(path: string): boolean {
    return this.seen.some((r) => r.url === path || r.url.startsWith(`${path}?`));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function html(res: ServerResponse, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...headers }).end(body);
}
