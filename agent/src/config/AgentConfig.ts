import type { JsonSchema } from '@palyra/shared/plugins';

/** One entry of the agent config's `plugins` list. */
export interface PluginConfigEntry {
  /**
   * `filesystem` or `shell` for a built-in plugin; otherwise a path (absolute, or relative to
   * the config file) or a package name of a custom plugin whose default export is a plugin.
   */
  use: string;
  /** Permissions granted to the plugin, validated against its grantsSchema. Default {}: deny. */
  grants?: Record<string, unknown>;
  /** When present, only these capability ids of the plugin are enabled. */
  capabilities?: string[];
  /** false turns a built-in off. */
  enabled?: boolean;
}

/** The agent's configuration (cosmiconfig name `palyra-node`). */
export interface AgentConfig {
  /** Default daemon HOST:PORT for join. */
  daemon?: string;
  plugins?: PluginConfigEntry[];
  /** Milliseconds a plugin's setup may take (default 10 s). */
  pluginSetupTimeoutMs?: number;
  /**
   * The node's own labels (`role: web`), sent at each registration; Kubernetes syntax and
   * limits (@palyra/shared/labels), checked at load. Labels an operator sets win over these.
   */
  labels?: Record<string, string>;
}

export const AGENT_CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    daemon: { type: 'string', minLength: 1 },
    pluginSetupTimeoutMs: { type: 'integer', minimum: 1, maximum: 600_000 },
    labels: { type: 'object', maxProperties: 64, additionalProperties: { type: 'string', maxLength: 63 } },
    plugins: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['use'],
        properties: {
          use: { type: 'string', minLength: 1 },
          grants: { type: 'object' },
          capabilities: { type: 'array', items: { type: 'string', minLength: 1 } },
          enabled: { type: 'boolean' },
        },
      },
    },
  },
};
