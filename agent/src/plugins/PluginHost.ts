import { PalyraError, isErrorCode } from '@palyra/shared/errors';
import type { PluginLogger, PluginSecrets } from '@palyra/shared/plugins';
import { compileSchema } from '@palyra/shared/schema';
import { join } from 'node:path';
import { checkPrivateDirectory } from '@palyra/shared/fs';
import { pluginScope, unavailableSecrets, type SecretStore } from '@palyra/shared/vault';
import { AGENT_CONFIG_SCHEMA, type AgentConfig, type PluginConfigEntry } from '../config/index.js';
import {
  CapabilityExecution,
  freezeGrants,
  ScopedLogger,
  validatePluginManifest,
  type ValidatedCapability,
  type ValidatedPlugin,
} from '@palyra/plugin-sdk/host';
import { DEFAULT_BUILTINS } from './builtins.js';
import { loadFailed, resolvePluginModule } from './resolvePluginModule.js';
import { runBounded } from './runBounded.js';
import { stderrLogger } from './stderrLogger.js';
import { wallNow } from '../clock/wallClock.js';
import type {
  BuiltinPlugin,
  CapabilityDescriptor,
  ExecuteRequest,
  ExecutionOutcome,
  ExecutionSink,
  LoadedPluginInfo,
  PluginHostLoadOptions,
} from './types.js';

export const DEFAULT_PLUGIN_SETUP_TIMEOUT_MS = 10_000;

const validateConfig = compileSchema(AGENT_CONFIG_SCHEMA, 'the agent config schema');

/** A config entry (or a built-in's implicit one) the host is about to load. */
interface PluginToLoad {
  readonly entry: PluginConfigEntry;
  /** `plugins[2] ("./my-plugin")` or `built-in plugin "filesystem"`: where to look in the config. */
  readonly where: string;
  readonly builtin: BuiltinPlugin | undefined;
}

/** A plugin that passed every check, with what the config granted it. */
interface LoadedPlugin {
  readonly validated: ValidatedPlugin;
  readonly name: string;
  readonly where: string;
  /** Deep-frozen. */
  readonly grants: unknown;
  /** Ids of the capabilities the config's allowlist enables, in declaration order. */
  readonly enabled: readonly string[];
  readonly logger: ScopedLogger;
  /** Its own secrets only (scope `plugin:<name>`). */
  readonly secrets: PluginSecrets;
}

interface CapabilityEntry {
  readonly plugin: LoadedPlugin;
  readonly capability: ValidatedCapability;
  readonly enabled: boolean;
}

/**
 * Loads the node's capability plugins and runs dispatches through them.
 *
 * `PluginHost.load()` loads the built-ins (unless turned off) and every custom plugin of the
 * config, validates each manifest, the grants against each grantsSchema and the capability
 * allowlists, rejects duplicate plugin names and capability ids, then runs each `setup`
 * under a timeout. `execute()` validates input, runs the capability under the dispatch's
 * deadline and cancel, validates output, and never rejects. `dispose()` disposes every
 * plugin in reverse order.
 */
export class PluginHost {
  /** Dispatches running now: dispose() shuts each down. */
  private readonly running = new Set<CapabilityExecution>();
  private disposing: Promise<void> | undefined;

  private constructor(
    private readonly loaded: readonly LoadedPlugin[],
    private readonly byCapability: ReadonlyMap<string, CapabilityEntry>,
    private readonly logger: PluginLogger,
    private readonly disposeTimeoutMs: number,
  ) {}

  static async load(options: PluginHostLoadOptions): Promise<PluginHost> {
    const { config, baseDir, signal } = options;
    const logger = options.logger ?? stderrLogger;
    throwIfCancelled(signal);
    const problems = validateConfig(config);
    if (problems.length > 0) {
      throw new PalyraError('PALYRA_E_CONFIG_INVALID', `the agent config is invalid: ${problems.join('; ')} (see docs/plugins.md)`, {
        details: { problems },
      });
    }
    const setupTimeoutMs = config.pluginSetupTimeoutMs ?? DEFAULT_PLUGIN_SETUP_TIMEOUT_MS;

    const loaded: LoadedPlugin[] = [];
    for (const item of plan(config, options.builtins ?? DEFAULT_BUILTINS)) {
      throwIfCancelled(signal);
      const validated = validatePluginManifest(...(await importPlugin(item, baseDir)));
      loaded.push(configure(item, validated, logger, options.secrets));
    }
    const byCapability = index(loaded);

    throwIfCancelled(signal);
    const host = new PluginHost(loaded, byCapability, logger, setupTimeoutMs);
    const ready: LoadedPlugin[] = [];
    for (const plugin of loaded) {
      const setup = plugin.validated.definition.setup;
      if (setup !== undefined) {
        const dataDir = options.stateDir === undefined ? undefined : await pluginDataDir(options.stateDir, plugin.name);
        const result = await runBounded(
          (setupSignal) =>
            setup.call(
              plugin.validated.definition,
              Object.freeze({ signal: setupSignal, grants: plugin.grants, logger: plugin.logger, secrets: plugin.secrets, dataDir }),
            ),
          setupTimeoutMs,
          signal,
        );
        if (result.status !== 'ok') {
          await host.disposePlugins(ready);
          if (result.status === 'aborted') throw cancelled(signal);
          const why =
            result.status === 'timed_out'
              ? `did not finish within ${setupTimeoutMs} ms (pluginSetupTimeoutMs)`
              : `threw: ${result.error instanceof Error ? result.error.message : String(result.error)}`;
          throw new PalyraError('PALYRA_E_PLUGIN_SETUP_FAILED', `setup of plugin "${plugin.name}" (${plugin.where}) ${why}`, {
            details: { plugin: plugin.name, source: plugin.validated.source, ...causeCode(result) },
            ...(result.status === 'threw' ? { cause: result.error } : {}),
          });
        }
      }
      ready.push(plugin);
      plugin.logger.debug('plugin ready', { version: plugin.validated.definition.version, capabilities: plugin.enabled });
    }
    return host;
  }

  /** The enabled capabilities, as announced to the daemon (RegisterNode). */
  capabilities(): CapabilityDescriptor[] {
    return this.loaded.flatMap((plugin) =>
      plugin.enabled.map((id) => {
        const { definition } = plugin.validated.capabilities.get(id) as ValidatedCapability;
        return {
          id,
          kind: definition.kind,
          description: definition.description,
          inputSchema: definition.inputSchema,
          outputSchema: definition.outputSchema,
          plugin: plugin.name,
        };
      }),
    );
  }

  /** The loaded plugins in load order (built-ins first, then the config's). */
  plugins(): LoadedPluginInfo[] {
    return this.loaded.map((plugin) => ({
      name: plugin.name,
      version: plugin.validated.definition.version,
      source: plugin.validated.source,
      capabilities: [...plugin.enabled],
    }));
  }

  /**
   * Runs one dispatch. Never rejects: every way it can end is an ExecutionOutcome, and
   * chunks and progress reach `sink` only while the dispatch runs.
   */
  async execute(request: ExecuteRequest, sink: ExecutionSink): Promise<ExecutionOutcome> {
    try {
      return await this.run(request, sink);
    } catch (error) {
      // Only a malformed request or a host bug gets here (CapabilityExecution never rejects).
      this.logger.error('plugin host failed to run a dispatch', { error: String(error) });
      return { status: 'failed', error: PalyraError.from(error) };
    }
  }

  private async run(request: ExecuteRequest, sink: ExecutionSink): Promise<ExecutionOutcome> {
    const entry = this.byCapability.get(request.capability);
    const stamp = { capability: request.capability, ...(entry === undefined ? {} : { plugin: entry.plugin.name }) };
    if (this.disposing !== undefined) {
      return { status: 'rejected', error: new PalyraError('PALYRA_E_NODE_UNAVAILABLE', 'the agent is stopping; its plugins are disposed', { details: stamp }) };
    }
    if (entry === undefined) {
      return {
        status: 'rejected',
        error: new PalyraError('PALYRA_E_CAPABILITY_NOT_FOUND', `this node has no capability ${JSON.stringify(request.capability)}`, { details: stamp }),
      };
    }
    if (!entry.enabled) {
      return {
        status: 'rejected',
        error: new PalyraError(
          'PALYRA_E_CAPABILITY_DENIED',
          `capability ${request.capability} of plugin "${entry.plugin.name}" is not enabled in this node's config (${entry.plugin.where} lists its capabilities)`,
          { details: stamp },
        ),
      };
    }
    const execution = new CapabilityExecution(
      {
        plugin: entry.plugin.name,
        capability: entry.capability,
        grants: entry.plugin.grants,
        logger: entry.plugin.logger,
        secrets: entry.plugin.secrets,
        clock: wallNow,
      },
      request,
      sink,
    );
    this.running.add(execution);
    try {
      return await execution.run();
    } finally {
      this.running.delete(execution);
    }
  }

  /**
   * Cancels running dispatches and calls every plugin's dispose in reverse load order, each
   * bounded by pluginSetupTimeoutMs; failures are logged, not thrown. Idempotent.
   */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      for (const execution of this.running) execution.shutdown();
      await this.disposePlugins(this.loaded);
    })();
    return this.disposing;
  }

  private async disposePlugins(plugins: readonly LoadedPlugin[]): Promise<void> {
    for (const plugin of [...plugins].reverse()) {
      const dispose = plugin.validated.definition.dispose;
      if (dispose === undefined) continue;
      const result = await runBounded(() => dispose.call(plugin.validated.definition), this.disposeTimeoutMs);
      if (result.status === 'threw') {
        plugin.logger.error('plugin dispose failed', { error: result.error instanceof Error ? result.error.message : String(result.error) });
      } else if (result.status === 'timed_out') {
        plugin.logger.error(`plugin dispose did not finish within ${this.disposeTimeoutMs} ms`);
      }
    }
  }
}

/** What to load, in order: the built-ins not turned off, then the enabled custom entries. */
function plan(config: AgentConfig, builtins: Readonly<Record<string, BuiltinPlugin>>): PluginToLoad[] {
  const entries = config.plugins ?? [];
  const builtinEntries = new Map<string, { entry: PluginConfigEntry; where: string }>();
  const custom: PluginToLoad[] = [];
  entries.forEach((entry, i) => {
    const where = `plugins[${i}] (${JSON.stringify(entry.use)})`;
    if (Object.hasOwn(builtins, entry.use)) {
      const previous = builtinEntries.get(entry.use);
      if (previous !== undefined) {
        throw new PalyraError('PALYRA_E_CONFIG_INVALID', `${where} configures the built-in plugin "${entry.use}" again (already ${previous.where}); merge the two entries`, {
          details: { use: entry.use },
        });
      }
      builtinEntries.set(entry.use, { entry, where });
    } else if (entry.enabled !== false) {
      custom.push({ entry, where, builtin: undefined });
    }
  });
  const items: PluginToLoad[] = [];
  for (const [use, builtin] of Object.entries(builtins)) {
    const configured = builtinEntries.get(use);
    if (configured?.entry.enabled === false) continue;
    items.push({ entry: configured?.entry ?? { use }, where: configured?.where ?? `built-in plugin "${use}"`, builtin });
  }
  return [...items, ...custom];
}

/** Imports a plugin's module; returns its default export and its source, for validation. */
async function importPlugin(item: PluginToLoad, baseDir: string): Promise<[unknown, string]> {
  const { use } = item.entry;
  if (item.builtin !== undefined) {
    let module: unknown;
    try {
      module = await item.builtin.load();
    } catch (error) {
      throw loadFailed(use, `the built-in package ${item.builtin.source} could not be imported: ${(error as Error).message}`, error);
    }
    return [defaultExport(module), item.builtin.source];
  }
  const resolved = await resolvePluginModule(use, baseDir);
  let module: unknown;
  try {
    module = await import(resolved.specifier);
  } catch (error) {
    throw loadFailed(use, `importing ${resolved.source} failed: ${(error as Error).message}`, error);
  }
  return [defaultExport(module), resolved.source];
}

/**
 * The plugin a module exports: its default export (unwrapping a CommonJS `exports.default`).
 * A built-in loader may also return the plugin itself. undefined when there is none.
 */
function defaultExport(module: unknown): unknown {
  if (typeof module !== 'object' || module === null) return module;
  if (Object.hasOwn(module, 'default')) {
    const value = (module as { default: unknown }).default;
    if (typeof value === 'object' && value !== null && (value as { __esModule?: unknown }).__esModule === true && 'default' in value) {
      return (value as { default: unknown }).default;
    }
    return value;
  }
  return Object.prototype.toString.call(module) === '[object Module]' ? undefined : module;
}

/** Checks the config's grants and allowlist against a validated plugin. */
function configure(item: PluginToLoad, validated: ValidatedPlugin, logger: PluginLogger, secrets: SecretStore | undefined): LoadedPlugin {
  const { entry, where } = item;
  const name = validated.definition.name;
  const grants = entry.grants ?? {};
  const problems = validated.validateGrants(grants);
  if (problems.length > 0) {
    throw new PalyraError(
      'PALYRA_E_CONFIG_INVALID',
      `${where}: the grants of plugin "${name}" are invalid: ${problems.join('; ')}` +
        (validated.definition.grantsSchema === undefined ? ' (this plugin takes no grants)' : ''),
      { details: { plugin: name, use: entry.use, problems } },
    );
  }
  const declared = [...validated.capabilities.keys()];
  let enabled = declared;
  if (entry.capabilities !== undefined) {
    const unknown = entry.capabilities.filter((id) => !validated.capabilities.has(id));
    if (unknown.length > 0) {
      throw new PalyraError(
        'PALYRA_E_CONFIG_INVALID',
        `${where}: plugin "${name}" has no capability ${unknown.map((id) => JSON.stringify(id)).join(', ')}; it has ${declared.join(', ')}`,
        { details: { plugin: name, use: entry.use, unknown, available: declared } },
      );
    }
    const allowed = new Set(entry.capabilities);
    enabled = declared.filter((id) => allowed.has(id));
  }
  return {
    validated,
    name,
    where,
    grants: freezeGrants(grants, `${where} (plugin "${name}")`),
    enabled,
    logger: new ScopedLogger(logger, { plugin: name }),
    secrets:
      secrets === undefined
        ? unavailableSecrets(
            () => new PalyraError('PALYRA_E_VAULT_UNAVAILABLE', `plugin "${name}" asked for a secret, but this agent runs without its vault (not joined, or only listing plugins)`),
          )
        : secrets.forScope(pluginScope(name)),
  };
}

/** Indexes every capability by id; a second plugin with the same name or an enabled id is a duplicate. */
function index(plugins: readonly LoadedPlugin[]): Map<string, CapabilityEntry> {
  const names = new Map<string, LoadedPlugin>();
  const byCapability = new Map<string, CapabilityEntry>();
  for (const plugin of plugins) {
    const other = names.get(plugin.name);
    if (other !== undefined) throw duplicate(`plugin name "${plugin.name}"`, other, plugin);
    names.set(plugin.name, plugin);
  }
  // Enabled ids first, so a clash between enabled capabilities is reported as such and a
  // capability turned off by one allowlist can never shadow another plugin's.
  for (const plugin of plugins) {
    for (const id of plugin.enabled) {
      const existing = byCapability.get(id);
      if (existing !== undefined) throw duplicate(`capability id "${id}"`, existing.plugin, plugin);
      byCapability.set(id, { plugin, capability: plugin.validated.capabilities.get(id) as ValidatedCapability, enabled: true });
    }
  }
  for (const plugin of plugins) {
    for (const [id, capability] of plugin.validated.capabilities) {
      if (!byCapability.has(id)) byCapability.set(id, { plugin, capability, enabled: false });
    }
  }
  return byCapability;
}

function duplicate(what: string, first: LoadedPlugin, second: LoadedPlugin): PalyraError {
  return new PalyraError(
    'PALYRA_E_PLUGIN_DUPLICATE',
    `${what} is declared by both plugin "${first.name}" (${first.validated.source}) and plugin "${second.name}" (${second.validated.source}); ` +
      'remove one, or narrow it with the "capabilities" allowlist of its config entry',
    {
      details: {
        plugins: [first.name, second.name],
        sources: [first.validated.source, second.validated.source],
      },
    },
  );
}

/**
 * A plugin's private directory, `<stateDir>/plugins/<name>` (0700, checked like the state
 * directory itself). Plugin names are `[a-z0-9-]` (validatePluginManifest): no path tricks.
 */
async function pluginDataDir(stateDir: string, name: string): Promise<string> {
  const dir = join(stateDir, 'plugins', name);
  await checkPrivateDirectory(dir, { create: true, what: `the data directory of plugin "${name}"` });
  return dir;
}

/** The PALYRA_E_* code a failed setup threw, if any (e.g. a plugin's own CONFIG_INVALID). */
function causeCode(result: { status: string; error?: unknown }): { causeCode?: string } {
  const code = result.status === 'threw' ? (result.error as { code?: unknown } | undefined)?.code : undefined;
  return isErrorCode(code) ? { causeCode: code } : {};
}

function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw cancelled(signal);
}

function cancelled(signal: AbortSignal): PalyraError {
  return new PalyraError('PALYRA_E_CANCELLED', 'loading the plugins was cancelled', signal.reason === undefined ? {} : { cause: signal.reason });
}
