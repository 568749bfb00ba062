import type { IncomingMessage, ServerResponse } from 'node:http';
import { PalyraError } from '@palyra/shared/errors';
import { hasUnsafeText } from '@palyra/shared/text';
import { buildToolCatalog } from '../../tools/buildToolCatalog.js';
import { memoizedToolCatalog } from '../../tools/memoizedToolCatalog.js';
import { callTool } from '../../tools/callTool.js';
import { errorOutcome } from '../../tools/toolOutcome.js';
import { listedTools, toolsAccess } from '../../tools/toolsAccess.js';
import type { ToolCatalog, ToolsAccess, ToolsBackend } from '../../tools/types.js';
import type { HttpCaller } from './createAdminHttpServer.js';
import { sendError, sendJson } from './openAiError.js';
import { readJsonBody } from './readJsonBody.js';

/** Tool calls one POST /v1/tool_calls may carry, and how many of them run at once. */
export const MAX_TOOL_CALLS_PER_REQUEST = 16;
export const MAX_CONCURRENT_TOOL_CALLS = 8;
/**
 * The longest content of one tool message: a fan-out's outputs may reach megabytes each, and
 * the answer is held whole before it is sent (at most 16 MiB in all); a model could not read
 * more anyway.
 */
export const MAX_TOOL_MESSAGE_CHARS = 1024 * 1024;
/** OpenAI's tool_call ids are short (`call_...`); anything longer is not one. */
const MAX_TOOL_CALL_ID = 256;

/** One entry of an assistant message's `tool_calls` (OpenAI chat completions). */
interface FunctionToolCall {
  id: string;
  name: string;
  /** The `arguments` string, as the model wrote it (JSON text). */
  arguments: string;
}

/**
 * GET /v1/tools: the tools the caller's token may list, in OpenAI's function-calling format
 * (`{ type: "function", function: { name, description, parameters } }`), as a list object.
 * Without compat.tools.list the list is empty, as the MCP listing is.
 */
export async function listOpenAiTools(_req: IncomingMessage, res: ServerResponse, caller: HttpCaller): Promise<void> {
  await withBackend(res, caller, async (backend, signal) => {
    const { catalog, access } = await catalogFor(backend, signal, 'list');
    // The same filter as the MCP listing: compat.tools.list, then the token's scopes.
    const data = listedTools(catalog, access).map((tool) => ({ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.inputSchema } }));
    sendJson(res, 200, { object: 'list', data });
  });
}

/**
 * POST /v1/tool_calls: runs an assistant message's tool calls (`{ tool_calls: [...] }` or the
 * whole message) and answers the `role: "tool"` messages to append to the conversation, in the
 * calls' order. Calls run concurrently (at most MAX_CONCURRENT_TOOL_CALLS at once); a call that
 * fails (unknown tool, bad arguments, a refused or failed dispatch) is a tool message saying
 * so, for the model to read. Errors of the request itself are OpenAI error objects.
 */
export async function callOpenAiTools(req: IncomingMessage, res: ServerResponse, caller: HttpCaller): Promise<void> {
  const calls = parseToolCalls(await readJsonBody(req));
  await withBackend(res, caller, async (backend, signal) => {
    const { catalog, access } = await catalogFor(backend, signal, 'call');
    if (!access.canCall) {
      const refusal = new PalyraError('PALYRA_E_FORBIDDEN', `token ${caller.actor.tokenId} may not call tools: it needs the permission compat.tools.call`, { details: { permission: 'compat.tools.call' } });
      caller.refused('POST /v1/tool_calls', refusal);
      throw refusal;
    }
    const contents = new Array<string>(calls.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < calls.length) {
        const index = next++;
        const call = calls[index] as FunctionToolCall;
        let outcome;
        try {
          outcome = await callTool(backend, catalog, call.name, parseArguments(call.arguments), { access, signal });
        } catch (error) {
          outcome = errorOutcome(error);
        }
        contents[index] = clip(outcome.text);
      }
    };
    await Promise.all(Array.from({ length: Math.min(MAX_CONCURRENT_TOOL_CALLS, calls.length) }, worker));
    signal.throwIfAborted();
    sendJson(res, 200, { object: 'list', data: calls.map((call, i) => ({ role: 'tool', tool_call_id: call.id, content: contents[i] })) });
  });
}

/**
 * Runs one request's work on the caller's admin client (its connection's, kept across its
 * requests); the request's end (client gone) aborts the work. A request that failed does not
 * leave its client for the next one.
 */
async function withBackend(res: ServerResponse, caller: HttpCaller, work: (backend: ToolsBackend, signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) controller.abort(new PalyraError('PALYRA_E_CANCELLED', 'the HTTP client went away'));
  };
  res.once('close', onClose);
  const signal = AbortSignal.any([controller.signal, caller.actor.signal]);
  let failed = false;
  let lease;
  try {
    lease = await caller.lease();
    signal.throwIfAborted();
    await work(lease.client, signal);
  } catch (error) {
    failed = true;
    if (!res.destroyed) sendError(res, error);
  } finally {
    res.off('close', onClose);
    lease?.done(failed);
  }
}

async function catalogFor(backend: ToolsBackend, signal: AbortSignal, purpose: 'list' | 'call'): Promise<{ catalog: ToolCatalog; access: ToolsAccess }> {
  const access = await toolsAccess(backend, { signal });
  // Without compat.tools.list nothing is listed; a call still needs the catalog to find its tool.
  if (purpose === 'list' && !access.canList) return { catalog: buildToolCatalog([]), access };
  if (purpose === 'call' && !access.canCall) return { catalog: buildToolCatalog([]), access };
  return { catalog: memoizedToolCatalog(await backend.listNodes({ signal })), access };
}

function invalid(message: string, param: string): PalyraError {
  return new PalyraError('PALYRA_E_INVALID_ARGUMENT', message, { details: { param } });
}

/** The tool calls of a request body: `{ tool_calls }`, or an assistant message carrying them. */
export function parseToolCalls(body: unknown): FunctionToolCall[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a JSON object with a tool_calls array (or an assistant message)', 'tool_calls');
  const raw = (body as { tool_calls?: unknown }).tool_calls;
  if (!Array.isArray(raw) || raw.length === 0) throw invalid('tool_calls must be a non-empty array', 'tool_calls');
  if (raw.length > MAX_TOOL_CALLS_PER_REQUEST) throw invalid(`at most ${MAX_TOOL_CALLS_PER_REQUEST} tool calls per request`, 'tool_calls');
  const seen = new Set<string>();
  return raw.map((entry: unknown, i) => {
    const param = `tool_calls[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw invalid(`${param} must be an object`, param);
    const { id, type, function: fn } = entry as { id?: unknown; type?: unknown; function?: unknown };
    if (typeof id !== 'string' || id === '' || id.length > MAX_TOOL_CALL_ID || hasUnsafeText(id)) throw invalid(`${param}.id must be a tool call id (1-${MAX_TOOL_CALL_ID} characters)`, `${param}.id`);
    if (seen.has(id)) throw invalid(`${param}.id repeats an earlier tool call's id`, `${param}.id`);
    seen.add(id);
    if (type !== undefined && type !== 'function') throw invalid(`${param}.type must be "function"`, `${param}.type`);
    if (typeof fn !== 'object' || fn === null) throw invalid(`${param}.function must be an object with name and arguments`, `${param}.function`);
    const { name, arguments: args } = fn as { name?: unknown; arguments?: unknown };
    if (typeof name !== 'string' || name === '' || name.length > 64) throw invalid(`${param}.function.name must be a tool name`, `${param}.function.name`);
    if (args !== undefined && typeof args !== 'string') throw invalid(`${param}.function.arguments must be a string of JSON`, `${param}.function.arguments`);
    return { id, name, arguments: args ?? '' };
  });
}

/** The model's arguments text: JSON (an empty string is no arguments); invalid JSON is a tool-level error. */
function parseArguments(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PalyraError('PALYRA_E_TOOL_ARGUMENTS', 'the arguments are not valid JSON');
  }
}

function clip(text: string): string {
  if (text.length <= MAX_TOOL_MESSAGE_CHARS) return text;
  return `${text.slice(0, MAX_TOOL_MESSAGE_CHARS)}\n[truncated: ${text.length - MAX_TOOL_MESSAGE_CHARS} more characters]`;
}
