import { once } from 'node:events';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Readable, Writable } from 'node:stream';
import { createLogger, LOG_LEVELS, type LogLevel } from '@palyra/shared/logging';
import type { ToolsBackend } from '../types.js';
import { createToolsMcpServer } from './createToolsMcpServer.js';

export interface McpStdioStreams {
  stdin: Readable;
  stdout: Writable;
  /** Logs: stdout belongs to the protocol. */
  stderr: NodeJS.WritableStream;
}

/**
 * `palyrad mcp`: the tools MCP server on stdio until stdin ends (the client went away), the
 * transport closes, or SIGINT/SIGTERM; running calls are cancelled on the way out.
 */
export async function runMcpStdio(backend: ToolsBackend, streams: McpStdioStreams): Promise<void> {
  const wanted = process.env.PALYRA_LOG_LEVEL;
  const level: LogLevel = LOG_LEVELS.find((l) => l === wanted) ?? 'warn';
  const logger = createLogger({ name: 'palyrad-mcp', level, destination: streams.stderr });
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  streams.stdin.once('end', stop);
  streams.stdin.once('close', stop);
  const mcp = createToolsMcpServer(backend, { signal: controller.signal, logger });
  const transport = new StdioServerTransport(streams.stdin, streams.stdout);
  transport.onclose = stop;
  try {
    await mcp.server.connect(transport);
    if (!controller.signal.aborted) await once(controller.signal, 'abort');
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await mcp.close();
  }
}
