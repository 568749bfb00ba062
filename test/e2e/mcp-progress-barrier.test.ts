/**
 * ProgressBarrier (daemon/src/tools/mcp/ProgressBarrier.ts) against the real MCP SDK: a
 * spawned stdio MCP server (test/fixtures/mcp/progressServer.mjs, the SDK's Server) whose tool
 * sends progress notifications immediately before its result, and the SDK's Client. Without
 * the barrier the client drops most of that progress (typescript-sdk#2580: the response is
 * handled before the notifications read with it); with it, every notification reaches the
 * client's onprogress before the call resolves. The protocol-level checks speak JSON-RPC on
 * the server's stdio directly: no ping for a call without progress, and a client that never
 * answers the ping delays its result by the barrier's timeout once, then never again.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('../fixtures/mcp/progressServer.mjs', import.meta.url));

type Message = { id?: number | string; method?: string; params?: Record<string, unknown>; result?: unknown; error?: unknown };

/** The fixture server spoken to line by line (the MCP stdio framing), as a bare client would. */
class RawSession {
  private readonly queue: Message[] = [];
  private waiter: (() => void) | undefined;
  private nextId = 1;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.queue.push(JSON.parse(line) as Message);
      this.waiter?.();
    });
  }

  static async open(timeoutMs: number): Promise<RawSession> {
    const session = new RawSession(spawn(process.execPath, [FIXTURE, 'barrier', String(timeoutMs)], { stdio: ['pipe', 'pipe', 'pipe'] }));
    const init = session.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } });
    await session.until((m) => m.id === init);
    session.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return session;
  }

  send(message: object): void {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  request(method: string, params: object): number {
    const id = this.nextId++;
    this.send({ jsonrpc: '2.0', id, method, params });
    return id;
  }

  /** The next message; waits for it. */
  async next(): Promise<Message> {
    for (;;) {
      const message = this.queue.shift();
      if (message !== undefined) return message;
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }

  /** Reads up to and including the first message `match` accepts; returns them all. */
  async until(match: (message: Message) => boolean): Promise<Message[]> {
    const seen: Message[] = [];
    for (;;) {
      const message = await this.next();
      seen.push(message);
      if (match(message)) return seen;
    }
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    this.child.kill('SIGTERM');
    await exited;
  }
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('ProgressBarrier with the MCP SDK over stdio', () => {
  it('every progress notification sent right before a result reaches the SDK client before the call resolves (100 calls)', async () => {
    const client = new Client({ name: 'barrier-test', version: '1.0.0' });
    const errors: string[] = [];
    client.onerror = (error) => errors.push(error.message);
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [FIXTURE, 'barrier'], stderr: 'pipe' }));
    cleanups.push(() => client.close());
    for (let call = 0; call < 100; call += 1) {
      const seen: string[] = [];
      const result = await client.callTool({ name: 'burst', arguments: { count: 5 } }, undefined, { onprogress: (p) => seen.push(p.message ?? '') });
      expect(result.content).toEqual([{ type: 'text', text: 'sent 5' }]);
      expect(seen, `call ${call}`).toEqual(['chunk 1', 'chunk 2', 'chunk 3', 'chunk 4', 'chunk 5']);
    }
    expect(errors).toEqual([]);
  });

  it('pings only a call that sent progress, after its last notification and before its result', async () => {
    const session = await RawSession.open(5_000);
    cleanups.push(() => session.close());

    // No progress token: no notification, no ping, the result at once.
    const quiet = session.request('tools/call', { name: 'burst', arguments: { count: 3 } });
    expect(await session.until((m) => m.id === quiet)).toEqual([expect.objectContaining({ id: quiet, result: expect.anything() })]);

    // A token but nothing sent: no ping either.
    const empty = session.request('tools/call', { name: 'burst', arguments: { count: 0 }, _meta: { progressToken: 'e' } });
    expect(await session.until((m) => m.id === empty)).toEqual([expect.objectContaining({ id: empty, result: expect.anything() })]);

    const loud = session.request('tools/call', { name: 'burst', arguments: { count: 3 }, _meta: { progressToken: 'p' } });
    const before = await session.until((m) => m.method === 'ping');
    expect(before.map((m) => m.method)).toEqual(['notifications/progress', 'notifications/progress', 'notifications/progress', 'ping']);
    expect(before.slice(0, 3).map((m) => m.params?.message)).toEqual(['chunk 1', 'chunk 2', 'chunk 3']);
    // The result waits for the answer.
    const ping = before[3] as Message;
    session.send({ jsonrpc: '2.0', id: ping.id, result: {} });
    expect(await session.next()).toMatchObject({ id: loud, result: { content: [{ type: 'text', text: 'sent 3' }] } });
  });

  it('a client that never answers the ping gets its result after the timeout once, then without a ping', async () => {
    const timeoutMs = 300;
    const session = await RawSession.open(timeoutMs);
    cleanups.push(() => session.close());

    const first = session.request('tools/call', { name: 'burst', arguments: { count: 2 }, _meta: { progressToken: 'a' } });
    await session.until((m) => m.method === 'ping');
    const pingedAt = Date.now();
    const rest = await session.until((m) => m.id === first);
    expect(Date.now() - pingedAt).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(rest.at(-1)).toMatchObject({ id: first, result: { content: [{ type: 'text', text: 'sent 2' }] } });

    const second = session.request('tools/call', { name: 'burst', arguments: { count: 2 }, _meta: { progressToken: 'b' } });
    const messages = await session.until((m) => m.id === second);
    expect(messages.map((m) => m.method ?? 'result')).toEqual(['notifications/progress', 'notifications/progress', 'result']);
  });
});
