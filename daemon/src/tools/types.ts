import type { NodeInfo__Output, WhoAmIResponse__Output } from '@palyra/proto';
import type { DaemonEvent, DaemonEventType } from '@palyra/shared/quic';
import type { InvokeManyOptions } from '../client/fanout/invokeMany.js';
import type { FanoutNodeResult } from '../client/fanout/types.js';
import type { InvocationEvent, InvokeRequestOptions } from '../client/invocation.js';

/**
 * What the tools layer (MCP server, OpenAI-compatible endpoints, `palyrad tools list`) needs of
 * the daemon: a ControlClient. Through the admin socket (`palyrad mcp` run by the daemon's
 * owner), a profile (`palyrad mcp --profile`), or, for the HTTP endpoints, the daemon's own
 * socket presenting the caller's token: every check (permission, scopes, node selector, rate,
 * audit) is then the daemon's own, made on every call, never the tools layer's.
 */
export interface ToolsBackend {
  listNodes(options?: { selector?: string; signal?: AbortSignal }): Promise<NodeInfo__Output[]>;
  invoke(request: InvokeRequestOptions): AsyncIterable<InvocationEvent>;
  invokeMany(options: InvokeManyOptions): AsyncIterable<FanoutNodeResult>;
  streamEvents(options: { types?: DaemonEventType[]; signal?: AbortSignal }): AsyncIterable<DaemonEvent>;
  whoAmI(options?: { signal?: AbortSignal }): Promise<WhoAmIResponse__Output>;
}

/** A capability's kind as nodes announce it (anything else is `unknown`). */
export type CapabilityKind = 'read' | 'mutate' | 'exec' | 'net';

/** MCP tool annotations, derived from the capability kind. */
export interface ToolAnnotations {
  title: string;
  readOnlyHint: boolean;
  destructiveHint: boolean;
  openWorldHint: boolean;
}

/** One tool: a capability as announced by the nodes the caller may see. */
export interface ToolDefinition {
  /** Stable, `^[A-Za-z0-9_-]{1,64}$`, a function of the capability id alone (toolName). */
  name: string;
  capability: string;
  kind: CapabilityKind | 'unknown';
  /** From the capability and its plugin; node-supplied text, sanitized and bounded. */
  description: string;
  /** A JSON Schema object: the capability's input plus the target (`targetKeys`). */
  inputSchema: Record<string, unknown>;
  /** The argument names of the target: `node` and `selector` unless the capability's own input uses them. */
  targetKeys: { node: string; selector: string };
  /** True when the capability's input was nested under `input` (its schema is not a plain object). */
  nestedInput: boolean;
  plugins: string[];
  /** The nodes announcing it (online ones first). */
  nodes: { deviceId: string; name: string; online: boolean }[];
  annotations: ToolAnnotations;
}

/** The tools of one moment, by name; `digest` changes exactly when a listing would. */
export interface ToolCatalog {
  readonly tools: readonly ToolDefinition[];
  readonly byName: ReadonlyMap<string, ToolDefinition>;
  readonly digest: string;
}

/** What the caller may do with tools, from WhoAmI: `compat.tools.list`, `compat.tools.call`. */
export interface ToolsAccess {
  canList: boolean;
  canCall: boolean;
  /**
   * The capability patterns the token may dispatch (`fs.read`, `fs.*`; empty: every one), from
   * WhoAmI: a listing shows only tools inside them (listedTools). Calls are still the daemon's
   * to refuse (and audit).
   */
  scopes: readonly string[];
}

export interface ToolCallProgress {
  /** Strictly increasing across one call's notifications (MCP requires it). */
  progress: number;
  total?: number;
  message?: string;
}

/** A tool call's result, in the form both MCP and the OpenAI endpoints render. */
export interface ToolCallOutcome {
  /** The dispatch did not succeed (on every node, for a fan-out). */
  isError: boolean;
  /** One node: the output object (or `{ result }` for a non-object); fan-out: `{ results, summary }`. */
  structured: Record<string, unknown>;
  /** `structured` as JSON text, images left out: MCP text content, the OpenAI tool message's content. */
  text: string;
  /** browser.screenshot-like outputs, as MCP image content. */
  images: { data: string; mimeType: string }[];
}
