/**
 * The capability plugin contract (API version 1). A plugin is a plain object made with
 * `definePlugin`; the agent's plugin host validates it, grants it permissions from the node's
 * config, and runs its capabilities for the daemon's dispatches.
 */

export const PLUGIN_API_VERSION = 1;

/** What a capability does to the node: the operator grants by plugin, reviews by kind. */
export type CapabilityKind = 'read' | 'mutate' | 'exec' | 'net';

/** A JSON Schema (draft 2020-12 subset that ajv understands). */
export type JsonSchema = Readonly<Record<string, unknown>>;

export interface PluginLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface ProgressUpdate {
  /** 0..1 when known. */
  ratio?: number;
  message?: string;
}

/** Metadata of a stored secret (never its value). */
export interface SecretInfo {
  readonly scope: string;
  readonly key: string;
  /** ISO 8601. */
  readonly created: string;
  /** ISO 8601. */
  readonly updated: string;
  /** 1 when created, +1 on every change. */
  readonly version: number;
}

/**
 * A plugin's own secrets, kept encrypted in the node's vault under the scope
 * `plugin:<name>`. A plugin sees its own scope only: there is no way to name another.
 * Keys are letters, digits and `._-/`; values are UTF-8 text of at most 64 KiB. Set them
 * from the node with `palyra-node secrets set plugin:<name> <key>` (value on stdin).
 */
export interface PluginSecrets {
  /** The value, or undefined when there is no such secret. */
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<SecretInfo>;
  /** This plugin's secrets, metadata only. */
  list(): Promise<SecretInfo[]>;
  /** True when the secret existed. */
  delete(key: string): Promise<boolean>;
}

/** What a capability's `execute` receives besides its input. */
export interface CapabilityContext<Grants = unknown> {
  /** Fires on cancel, on the dispatch deadline, and when the agent stops. Honour it. */
  readonly signal: AbortSignal;
  /** When the dispatch must be done. */
  readonly deadline: Date;
  readonly dispatchId: string;
  /** The permissions the node's config grants this plugin, validated against `grantsSchema`. */
  readonly grants: Grants;
  readonly logger: PluginLogger;
  /** The plugin's own secrets (scope `plugin:<name>`). */
  readonly secrets: PluginSecrets;
  /** Streams a chunk of output to the caller as it is produced. */
  write(chunk: string | Uint8Array): void;
  progress(update: ProgressUpdate): void;
}

export interface CapabilityDefinition<Input = unknown, Output = unknown, Grants = unknown> {
  /** Dotted id, unique on a node: `fs.read`, `shell.exec`. */
  readonly id: string;
  readonly kind: CapabilityKind;
  readonly description: string;
  readonly inputSchema: JsonSchema;
  readonly outputSchema: JsonSchema;
  execute(input: Input, ctx: CapabilityContext<Grants>): Promise<Output>;
}

export interface PluginSetupContext<Grants = unknown> {
  readonly signal: AbortSignal;
  readonly grants: Grants;
  readonly logger: PluginLogger;
  /** The plugin's own secrets (scope `plugin:<name>`). */
  readonly secrets: PluginSecrets;
  /**
   * The plugin's own private directory (0700) in the node's state directory,
   * `<state dir>/plugins/<name>`, for small state that must outlive the agent process.
   * undefined when the agent runs without a state directory (listing plugins, tests): a
   * plugin must work without it.
   */
  readonly dataDir: string | undefined;
}

export interface PluginDefinition<Grants = unknown> {
  readonly name: string;
  /** The plugin's own semver version. */
  readonly version: string;
  readonly apiVersion: typeof PLUGIN_API_VERSION;
  readonly description?: string;
  /**
   * Schema of the permissions this plugin can be granted in the node's config (roots,
   * allowlists, limits). Absent grants are `{}`: a plugin must deny what is not granted.
   */
  readonly grantsSchema?: JsonSchema;
  // Capabilities differ in input and output types; the host only sees `unknown`.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly capabilities: readonly CapabilityDefinition<any, any, Grants>[];
  setup?(ctx: PluginSetupContext<Grants>): Promise<void> | void;
  dispose?(): Promise<void> | void;
}
