import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { MAX_HTTP_BODY_BYTES } from '../../src/admin/http/readJsonBody.js';
import { MCP_SESSION_LIMITS } from '../../src/admin/http/McpSessions.js';
import { MAX_CONCURRENT_TOOL_CALLS, MAX_TOOL_CALLS_PER_REQUEST, MAX_TOOL_MESSAGE_CHARS } from '../../src/admin/http/openAiTools.js';
import { CATALOG_LIMITS } from '../../src/tools/buildToolCatalog.js';
import { DEFAULT_MAX_CONCURRENT_CALLS } from '../../src/tools/mcp/createToolsMcpServer.js';
import { PROGRESS_LIMITS } from '../../src/tools/toolProgress.js';
import { MAX_TOOL_NAME_LENGTH, toolName } from '../../src/tools/toolName.js';
import { TIMEOUT_GRACE_MS } from '../../src/tools/callTool.js';

const TOOLS_DOC = new URL('../../../docs/tools.md', import.meta.url);

/** The document with its line breaks and indentation folded into single spaces, as a reader sees the prose. */
async function prose(): Promise<string> {
  return (await readFile(TOOLS_DOC, 'utf8')).replace(/\s+/g, ' ');
}

const kib = (n: number): string => `${n / 1024} KiB`;
const mib = (n: number): string => `${n / (1024 * 1024)} MiB`;
const count = (n: number): string => n.toLocaleString('en-US');

describe('docs/tools.md and the code', () => {
  it('states the limits the code enforces', async () => {
    const doc = await prose();
    const phrases = [
      `${kib(PROGRESS_LIMITS.maxChunkChars)} per notification, ${kib(PROGRESS_LIMITS.maxOutputChars)} per call, at most ${count(PROGRESS_LIMITS.maxNotifications)} notifications`,
      `bounds each description to ${count(CATALOG_LIMITS.maxDescription)} characters`,
      `too large (${kib(CATALOG_LIMITS.maxSchemaChars)})`,
      `lists at most ${CATALOG_LIMITS.maxTools} tools`,
      `${MCP_SESSION_LIMITS.perToken} per token, ${MCP_SESSION_LIMITS.total} in all`,
      `${DEFAULT_MAX_CONCURRENT_CALLS} tool calls at once`,
      `ends after ${MCP_SESSION_LIMITS.idleMs / 60_000} minutes without an open request`,
      `At most ${MAX_TOOL_CALLS_PER_REQUEST} calls per request, ${MAX_CONCURRENT_TOOL_CALLS} running at once`,
      `at most ${mib(MAX_TOOL_MESSAGE_CHARS)}`,
      `413 (body over ${mib(MAX_HTTP_BODY_BYTES)})`,
      `then that plus ${TIMEOUT_GRACE_MS / 1000} s`,
    ];
    for (const phrase of phrases) expect(doc, phrase).toContain(phrase);
  });

  it('describes the naming rule toolName implements', async () => {
    const doc = await prose();
    expect(doc).toContain(`would exceed ${MAX_TOOL_NAME_LENGTH} characters keeps its first 52 characters, then \`__\` and 10 hex digits`);
    const long = `a${'.b'.repeat(40)}`;
    const name = toolName(long);
    expect(name).toHaveLength(MAX_TOOL_NAME_LENGTH);
    expect(name.slice(0, 52)).toBe(long.replaceAll('.', '_').slice(0, 52));
    expect(name.slice(52)).toMatch(/^__[0-9a-f]{10}$/);
    expect(toolName('fs.read')).toBe('fs_read');
  });

  it('names the routes the HTTP API serves', async () => {
    const doc = await prose();
    const routes = await readFile(new URL('../../src/admin/http/routes.ts', import.meta.url), 'utf8');
    const served = [...routes.matchAll(/path === '([^']+)'/g)].map((m) => m[1]);
    expect(served.sort()).toEqual(['/mcp', '/v1/tool_calls', '/v1/tools']);
    for (const route of served) expect(doc).toContain(`\`${route}\``);
  });
});
