import { PalyraError } from '@palyra/shared/errors';
import { MAX_SELECTOR_LENGTH } from '@palyra/shared/selectors';
import { MAX_REFERENCE_LENGTH } from '../admin/nodeReference.js';
import type { FanoutNodeResult } from '../client/fanout/types.js';
import type { InvocationResult } from '../client/invocation.js';
import { ToolProgressReporter } from './toolProgress.js';
import { errorOutcome, fanoutOutcome, MAX_FANOUT_OUTPUT_CHARS, MAX_OUTPUT_DEPTH, nestsWithin, OUTPUT_OMITTED, singleOutcome } from './toolOutcome.js';
import { cleanText } from './toolText.js';
import type { ToolCallOutcome, ToolCallProgress, ToolCatalog, ToolDefinition, ToolsAccess, ToolsBackend } from './types.js';

export interface CallToolOptions {
  /** From toolsAccess: without `canCall` every call is PALYRA_E_FORBIDDEN. */
  access: ToolsAccess;
  /** Aborting cancels the dispatch(es) on the node(s). */
  signal?: AbortSignal;
  /** Progress events and streamed output (bounded, see ToolProgressReporter). */
  onProgress?: (progress: ToolCallProgress) => void;
}

/** Arguments as one JSON object: larger ones are refused before they reach the daemon (which bounds inputs too). */
const MAX_ARGUMENTS_CHARS = 1024 * 1024;

/** The target and input a call's arguments name. */
export interface ToolCallTarget {
  node?: string;
  selector?: string;
  input: unknown;
}

/**
 * Runs the tool `name` of `catalog` with `args`: on one node (`node`) through invoke, or on
 * every node a selector matches through invokeMany. Throws PALYRA_E_FORBIDDEN (no
 * compat.tools.call), PALYRA_E_TOOL_UNKNOWN and PALYRA_E_TOOL_ARGUMENTS: the caller's mistakes,
 * before anything is dispatched. Everything after (the daemon refusing the dispatch, a node
 * not found, the dispatch failing) is a ToolCallOutcome with isError, which an agent reads.
 */
export async function callTool(backend: ToolsBackend, catalog: ToolCatalog, name: string, args: unknown, options: CallToolOptions): Promise<ToolCallOutcome> {
  assertCanCall(options.access);
  const tool = catalog.byName.get(name);
  if (tool === undefined) {
    throw new PalyraError('PALYRA_E_TOOL_UNKNOWN', `no tool is named ${JSON.stringify(cleanText(name, 80))} among those this caller may see: list the tools again (they come and go with the nodes)`);
  }
  const target = parseToolArguments(tool, args);
  const reporter = options.onProgress ? new ToolProgressReporter(options.onProgress) : undefined;
  try {
    if (target.node !== undefined) return singleOutcome(await invokeOne(backend, tool, target.node, target.input, reporter, options.signal));
    return fanoutOutcome(await invokeMany(backend, tool, target.selector ?? '', target.input, reporter, options.signal));
  } catch (error) {
    return errorOutcome(error);
  }
}

/** PALYRA_E_FORBIDDEN (details.permission compat.tools.call) unless the caller may call tools: checked before anything is read. */
export function assertCanCall(access: ToolsAccess): void {
  if (!access.canCall) {
    throw new PalyraError('PALYRA_E_FORBIDDEN', 'this token may not call tools: its role lacks compat.tools.call (operator and up)', { details: { permission: 'compat.tools.call' } });
  }
}

/** The target and the capability's input in a call's arguments (PALYRA_E_TOOL_ARGUMENTS when they do not name exactly one target). */
export function parseToolArguments(tool: ToolDefinition, args: unknown): ToolCallTarget {
  const given = args ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new PalyraError('PALYRA_E_TOOL_ARGUMENTS', `the arguments of ${tool.name} must be a JSON object`);
  }
  if (argumentsJsonLength(given, tool) > MAX_ARGUMENTS_CHARS) {
    throw new PalyraError('PALYRA_E_TOOL_ARGUMENTS', `the arguments of ${tool.name} exceed ${MAX_ARGUMENTS_CHARS} characters of JSON`);
  }
  const { [tool.targetKeys.node]: node, [tool.targetKeys.selector]: selector, ...rest } = given as Record<string, unknown>;
  const { node: nodeKey, selector: selectorKey } = tool.targetKeys;
  if (node !== undefined && selector !== undefined) {
    throw new PalyraError('PALYRA_E_TOOL_ARGUMENTS', `give either ${nodeKey} (one node) or ${selectorKey} (every node it matches), not both`);
  }
  if (node === undefined && selector === undefined) {
    throw new PalyraError('PALYRA_E_TOOL_ARGUMENTS', `name a target: ${nodeKey} (a device id, a unique prefix of it, or a node name) or ${selectorKey} (a node selector)`);
  }
  if (node !== undefined && (typeof node !== 'string' || node === '' || node.length > MAX_REFERENCE_LENGTH)) {
    throw new PalyraError('PALYRA_E_TOOL_ARGUMENTS', `${nodeKey} must be a non-empty string of at most ${MAX_REFERENCE_LENGTH} characters`);
  }
  if (selector !== undefined && (typeof selector !== 'string' || selector.trim() === '' || selector.length > MAX_SELECTOR_LENGTH)) {
    throw new PalyraError('PALYRA_E_TOOL_ARGUMENTS', `${selectorKey} must be a non-empty node selector of at most ${MAX_SELECTOR_LENGTH} characters`);
  }
  let input: unknown = rest;
  if (tool.nestedInput) {
    const { input: nested, ...unknown } = rest;
    const extra = Object.keys(unknown);
    if (extra.length > 0) {
      throw new PalyraError('PALYRA_E_TOOL_ARGUMENTS', `${tool.name} takes its capability's input under "input": unexpected ${extra.slice(0, 5).map((k) => JSON.stringify(cleanText(k, 64))).join(', ')}`);
    }
    input = nested;
  }
  return { ...(node === undefined ? {} : { node: node as string }), ...(selector === undefined ? {} : { selector: selector as string }), input };
}

/** The arguments' JSON length; arguments nested too deeply to serialize are the caller's mistake, not an internal error. */
function argumentsJsonLength(args: object, tool: ToolDefinition): number {
  try {
    return (JSON.stringify(args) ?? '').length;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new PalyraError('PALYRA_E_TOOL_ARGUMENTS', `the arguments of ${tool.name} are nested too deeply`);
  }
}

/** What a dispatch may be given beyond the input's own `timeoutMs`: the node's start-up and the answer's way back. */
export const TIMEOUT_GRACE_MS = 10_000;
/** The daemon's bound on a dispatch's timeout (DispatchCoordinator). */
const MAX_DISPATCH_TIMEOUT_MS = 24 * 60 * 60_000;

/**
 * The dispatch timeout of a tool call. An agent has no `--timeout`: a capability input with its
 * own `timeoutMs` (shell.exec's convention: kill the command after this long) gets a dispatch
 * deadline that long plus TIMEOUT_GRACE_MS, so the capability's own limit ends it with its
 * answer rather than the daemon's 30 s default cutting it off. Anything else: the default
 * (undefined). The plugin's grants still bound what the capability itself allows.
 */
export function dispatchTimeoutOf(input: unknown): number | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const requested = (input as { timeoutMs?: unknown }).timeoutMs;
  if (typeof requested !== 'number' || !Number.isSafeInteger(requested) || requested <= 0) return undefined;
  return Math.min(requested + TIMEOUT_GRACE_MS, MAX_DISPATCH_TIMEOUT_MS);
}

async function invokeOne(backend: ToolsBackend, tool: ToolDefinition, node: string, input: unknown, reporter: ToolProgressReporter | undefined, signal: AbortSignal | undefined): Promise<InvocationResult> {
  // The daemon resolves the reference (device id, unique prefix, name) among the nodes this token sees.
  let result: InvocationResult | undefined;
  // Read to the end of the stream, not just to the result: whatever the stream carries belongs
  // to the call, and leaving early would cancel it.
  const timeoutMs = dispatchTimeoutOf(input);
  for await (const event of backend.invoke({ deviceId: node, capability: tool.capability, input, ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(signal ? { signal } : {}) })) {
    if (event.type === 'output') reporter?.output(event.chunk);
    else if (event.type === 'progress') reporter?.progress(event.ratio, event.message);
    else if (event.type === 'result') result = event.result;
  }
  if (result !== undefined) return result;
  throw new PalyraError(signal?.aborted === true ? 'PALYRA_E_CANCELLED' : 'PALYRA_E_INTERNAL', 'the invocation ended without a result');
}

async function invokeMany(backend: ToolsBackend, tool: ToolDefinition, selector: string, input: unknown, reporter: ToolProgressReporter | undefined, signal: AbortSignal | undefined): Promise<FanoutNodeResult[]> {
  const results: FanoutNodeResult[] = [];
  let budget = MAX_FANOUT_OUTPUT_CHARS;
  const timeoutMs = dispatchTimeoutOf(input);
  for await (let result of backend.invokeMany({
    selector,
    capability: tool.capability,
    input,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(reporter
      ? {
          onOutput: (target: { name: string }, chunk: Buffer) => reporter.output(chunk, target.name),
          onProgress: (target: { name: string }, ratio: number, message: string) => reporter.progress(ratio, message, target.name),
        }
      : {}),
    ...(signal ? { signal } : {}),
  })) {
    // Outputs are kept only within the fan-out's budget as they arrive: a selector over many
    // nodes (each output up to the daemon's 4 MiB) must not gather gigabytes in this process
    // (the daemon's own, behind the HTTP endpoints) before any is dropped.
    const size = outputSize(result.output);
    if (size !== undefined && size <= budget) budget -= size;
    else result = { ...result, output: OUTPUT_OMITTED };
    results.push(result);
  }
  return results;
}

/** The output's JSON length, undefined when it cannot be passed on (nested too deep to serialize). */
function outputSize(output: unknown): number | undefined {
  if (output === undefined) return 0;
  return nestsWithin(output, MAX_OUTPUT_DEPTH) ? (JSON.stringify(output) ?? '').length : undefined;
}
