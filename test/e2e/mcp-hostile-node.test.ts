/**
 * Issue 18 review: what a node announces and returns is attacker-controlled. A real agent
 * loads a plugin whose schemas, outputs and progress are odd or hostile (each one a plugin the
 * agent and the daemon accept), beside the filesystem plugin; the real MCP SDK Client talks to
 * the built `palyrad mcp` over stdio. One node's odd schema must not cost the agent every
 * tool, a fake image must not reach the agent's model as an image, and a progress flood stays
 * bounded and strictly increasing.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, pairNode } from '../helpers/daemonHarness.js';
import { startAgent, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, PALYRAD, TEST_ENV, TempDirs, stopProcesses } from '../helpers/processes.js';

const dirs = new TempDirs();
let daemon: DaemonProcess;
const clients: Client[] = [];

/** A plugin as a node's owner may write it: plain ESM, no import (definePlugin is the identity). */
const HOSTILE_PLUGIN = `
const object = (properties) => ({ type: 'object', properties });
export default {
  name: 'odd',
  version: '0.1.0',
  apiVersion: 1,
  description: 'Odd but valid announcements.',
  capabilities: [
    {
      id: 'odd.flags',
      kind: 'read',
      description: 'Takes a flag of any type.',
      // A boolean subschema: valid JSON Schema ("anything"), compiled by the agent and the daemon.
      inputSchema: object({ flag: true, path: { type: 'string' } }),
      outputSchema: {},
      async execute(input) { return { got: input }; },
    },
    {
      id: 'odd.image',
      kind: 'read',
      description: 'Returns something that says it is a PNG.',
      inputSchema: object({}),
      outputSchema: {},
      async execute() { return { mimeType: 'image/png', data: Buffer.from('not an image at all').toString('base64').padEnd(28, '=').slice(0, 28) }; },
    },
    {
      id: 'odd.flood',
      kind: 'read',
      description: 'Reports progress going backwards, many times, and writes a lot.',
      inputSchema: object({}),
      outputSchema: {},
      async execute(input, ctx) {
        for (let i = 0; i < 3000; i++) {
          ctx.progress({ ratio: 1 - i / 3000, message: 'x'.repeat(2000) });
          if (i % 10 === 0) ctx.write('y'.repeat(8192));
          if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        }
        return { done: true };
      },
    },
  ],
};
`;

async function connect(): Promise<{ client: Client; errors: Error[] }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [PALYRAD, 'mcp', '--state-dir', daemon.stateDir],
    env: { ...stringEnv(process.env), ...stringEnv(TEST_ENV), PALYRA_STATE_DIR: '', PALYRA_PROFILE: '' },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'palyra-e2e-hostile', version: '1.0.0' });
  const errors: Error[] = [];
  client.onerror = (error) => errors.push(error);
  clients.push(client);
  await client.connect(transport);
  return { client, errors };
}

function stringEnv(env: NodeJS.ProcessEnv | Readonly<NodeJS.ProcessEnv>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

beforeAll(async () => {
  const base = await dirs.make('palyra-e2e-mcp-hostile-');
  daemon = await DaemonProcess.start(join(base, 'daemon'), ['--quic-listen', 'off']);
  const root = join(base, 'root');
  const plugin = join(base, 'odd-plugin');
  await mkdir(root);
  await mkdir(plugin);
  await writeFile(join(root, 'hello.txt'), 'hello');
  await writeFile(join(plugin, 'package.json'), JSON.stringify({ name: 'odd', version: '0.1.0', type: 'module', main: 'index.js' }));
  await writeFile(join(plugin, 'index.js'), HOSTILE_PLUGIN);
  const config = await writeNodeConfig(base, { plugins: [{ use: 'filesystem', grants: { roots: [root] } }, { use: plugin }] }, 'odd.json');
  await pairNode(daemon, join(base, 'odd'), 'odd');
  await startAgent(join(base, 'odd'), config);
}, E2E_HOOK_TIMEOUT_MS);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('palyrad mcp against a node announcing odd or hostile things', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('a valid but odd schema (a boolean property schema) does not make the SDK client refuse the whole tool list', async () => {
    const { client, errors } = await connect();
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['fs_read', 'odd_flags', 'odd_image']));
    const flags = tools.find((t) => t.name === 'odd_flags')!;
    // Nested under `input`: every top-level property schema an object, as the SDK's Tool type wants.
    expect(Object.keys(flags.inputSchema.properties ?? {}).sort()).toEqual(['input', 'node', 'selector']);
    const called = (await client.callTool({ name: 'odd_flags', arguments: { node: 'odd', input: { flag: [1, 'two'], path: 'p' } } })) as CallToolResult;
    expect(called.isError).toBe(false);
    expect(called.structuredContent).toEqual({ got: { flag: [1, 'two'], path: 'p' } });
    expect(errors).toEqual([]);
  });

  it('an output claiming to be a PNG whose bytes are not one stays JSON, never image content', async () => {
    const { client } = await connect();
    const result = (await client.callTool({ name: 'odd_image', arguments: { node: 'odd' } })) as CallToolResult;
    expect(result.isError).toBe(false);
    expect(result.content.map((c) => c.type)).toEqual(['text']);
    expect(result.structuredContent).toMatchObject({ mimeType: 'image/png', data: expect.any(String) });
  });

  it('a progress flood going backwards: notifications strictly increasing, bounded in count and size, and the result arrives', async () => {
    const { client } = await connect();
    const seen: Progress[] = [];
    const result = (await client.callTool({ name: 'odd_flood', arguments: { node: 'odd' } }, undefined, { onprogress: (p) => seen.push(p), timeout: 120_000 })) as CallToolResult;
    expect(result.isError, JSON.stringify(result).slice(0, 300)).toBe(false);
    expect(result.structuredContent).toEqual({ done: true });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThanOrEqual(1_000);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress).toBeGreaterThan(seen[i - 1]!.progress);
    expect(seen.reduce((sum, p) => sum + (p.message?.length ?? 0), 0)).toBeLessThanOrEqual(1_000 * 4_200);
    // The session still serves calls.
    const read = (await client.callTool({ name: 'fs_read', arguments: { node: 'odd', path: 'hello.txt' } })) as CallToolResult;
    expect(read.structuredContent).toMatchObject({ content: 'hello' });
  });

  it('a fan-out forwards the nodes’ progress (ratio and message), not only their output, each marked with its node', async () => {
    const { client } = await connect();
    const seen: Progress[] = [];
    const result = (await client.callTool({ name: 'odd_flood', arguments: { selector: 'name=odd' } }, undefined, { onprogress: (p) => seen.push(p), timeout: 120_000 })) as CallToolResult;
    expect(result.isError, JSON.stringify(result).slice(0, 300)).toBe(false);
    expect(result.structuredContent).toMatchObject({ summary: { total: 1, succeeded: 1 } });
    expect(seen.some((p) => /^\[odd\] \d+% x/.test(p.message ?? '')), seen.slice(0, 3).map((p) => p.message?.slice(0, 40)).join(' | ')).toBe(true);
    expect(seen.some((p) => /^\[odd\] y/.test(p.message ?? ''))).toBe(true);
    expect(seen.length).toBeLessThanOrEqual(1_000);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress).toBeGreaterThan(seen[i - 1]!.progress);
  });
});
