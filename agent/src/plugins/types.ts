import type { CapabilityKind, JsonSchema, PluginLogger } from '@palyra/plugin-sdk';
import type { SecretStore } from '@palyra/shared/vault';
import type { AgentConfig } from '../config/index.js';

/** What the agent announces for one enabled capability (RegisterNode's `Capability`). */
export interface CapabilityDescriptor {
  readonly id: string;
  readonly kind: CapabilityKind;
  readonly description: string;
  readonly inputSchema: JsonSchema;
  readonly outputSchema: JsonSchema;
  /** Name of the plugin that provides it. */
  readonly plugin: string;
}

/** One loaded plugin, for `palyra-node status` and logs. */
export interface LoadedPluginInfo {
  readonly name: string;
  readonly version: string;
  /** The built-in's package name, the custom plugin's resolved file path, or its package name. */
  readonly source: string;
  /** Ids of its enabled capabilities (after the config's allowlist). */
  readonly capabilities: readonly string[];
}

/**
 * A built-in plugin the host loads unless the config turns it off. `load` resolves to the
 * module namespace (whose default export is the plugin) or to the plugin object itself.
 */
export interface BuiltinPlugin {
  /** Package name, shown as the plugin's source. */
  readonly source: string;
  load(): Promise<unknown>;
}

export interface PluginHostLoadOptions {
  config: AgentConfig;
  /** Directory relative `use` paths resolve against: the config file's directory. */
  baseDir: string;
  /** Aborting it stops loading (PALYRA_E_CANCELLED) and disposes what was set up. */
  signal: AbortSignal;
  /** Receives the host's and the plugins' log lines (each plugin's stamped with its name). */
  logger?: PluginLogger;
  /**
   * The node's secrets: each plugin gets the scope `plugin:<name>` as `ctx.secrets`. Without
   * it (listing plugins, tests) every `ctx.secrets` call fails with PALYRA_E_VAULT_UNAVAILABLE.
   */
  secrets?: SecretStore;
  /**
   * The node's state directory: each plugin gets `<stateDir>/plugins/<name>` (created 0700
   * before its setup) as `ctx.dataDir`. Without it (listing plugins, tests) `ctx.dataDir` is
   * undefined.
   */
  stateDir?: string;
  /** Replaces the built-ins (`filesystem`, `shell`), keyed by their `use` name. For tests. */
  builtins?: Readonly<Record<string, BuiltinPlugin>>;
}

export type { ExecuteRequest, ExecutionOutcome, ExecutionSink, ExecutionStatus } from '@palyra/plugin-sdk/host';
