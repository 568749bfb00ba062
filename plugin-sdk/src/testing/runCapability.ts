import { PalyraError } from '../errors/index.js';
import { CapabilityExecution } from '../host/CapabilityExecution.js';
import { freezeGrants } from '../host/freezeGrants.js';
import { ScopedLogger } from '../host/ScopedLogger.js';
import type { ExecutionStatus } from '../host/types.js';
import { validatePluginManifest } from '../host/validatePluginManifest.js';
import type { PluginLogger, PluginSecrets, ProgressUpdate } from '../plugins/index.js';
import { memorySecrets } from './memorySecrets.js';

export interface RunCapabilityOptions {
  /** What the node's config would grant the plugin; checked against its grantsSchema. Default `{}`. */
  grants?: unknown;
  /** The plugin's secrets: initial values kept in memory, or a PluginSecrets of your own. Default: none. */
  secrets?: Readonly<Record<string, string>> | PluginSecrets;
  /** The plugin's `ctx.dataDir` at setup (a temp directory of the test's). Default: none. */
  dataDir?: string;
  /** The dispatch deadline, from now. Default 30000. */
  timeoutMs?: number;
  /** Cancels the dispatch when it fires, as CancelDispatch would. */
  signal?: AbortSignal;
  dispatchId?: string;
  /** Receives the plugin's log lines (stamped with plugin, capability, dispatchId); they are also kept in `logs`. */
  logger?: PluginLogger;
  /** Run the plugin's `setup` before and its `dispose` after, as an agent does. Default true. */
  lifecycle?: boolean;
}

export interface LogLine {
  readonly level: keyof PluginLogger;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** How one run ended, and everything the capability sent on the way. */
export interface CapabilityRun<Output = unknown> {
  /** As a dispatch's result: succeeded, failed, timed_out, cancelled or rejected. */
  readonly status: ExecutionStatus;
  /** The output the daemon would receive (after the JSON round trip and outputSchema); set when succeeded. */
  readonly output: Output | undefined;
  /** The error the caller would see (stamped with plugin and capability); set unless succeeded. */
  readonly error: PalyraError | undefined;
  /** Every chunk `ctx.write` streamed, as bytes. */
  readonly chunks: readonly Uint8Array[];
  /** The chunks decoded as UTF-8 and joined. */
  readonly text: string;
  /** Every progress update, as forwarded (ratio clamped to 0..1). */
  readonly progress: readonly ProgressUpdate[];
  readonly logs: readonly LogLine[];
}

/**
 * Runs one capability of a plugin the way a node's agent does, without a daemon or an agent:
 * the manifest is validated and its schemas compiled (PALYRA_E_PLUGIN_INVALID), the grants
 * checked against `grantsSchema` (PALYRA_E_CONFIG_INVALID) and deep-frozen, `setup` run,
 * then the same execution core as the agent's (CapabilityExecution) checks the input, runs
 * `execute` with a real context (signal firing on the deadline or `options.signal`, write,
 * progress, grants, secrets, logger), checks the output, and `dispose` runs.
 *
 * Resolves with how the dispatch ended (never rejects for the capability's own failures);
 * rejects when the plugin, its grants or its setup is invalid, as an agent would refuse to start.
 */
export async function runCapability<Output = unknown>(
  plugin: unknown,
  capabilityId: string,
  input: unknown,
  options: RunCapabilityOptions = {},
): Promise<CapabilityRun<Output>> {
  const validated = validatePluginManifest(plugin, 'runCapability');
  const name = validated.definition.name;
  const rawGrants = options.grants ?? {};
  const problems = validated.validateGrants(rawGrants);
  if (problems.length > 0) {
    throw new PalyraError('PALYRA_E_CONFIG_INVALID', `the grants of plugin "${name}" are invalid: ${problems.join('; ')}`, { details: { plugin: name, problems } });
  }
  const grants = freezeGrants(rawGrants, `grants of plugin "${name}"`);
  const logs: LogLine[] = [];
  const logger = new ScopedLogger(collectingLogger(logs, options.logger), { plugin: name });
  const secrets = isPluginSecrets(options.secrets) ? options.secrets : memorySecrets(`plugin:${name}`, options.secrets ?? {});

  const capability = validated.capabilities.get(capabilityId);
  if (capability === undefined) {
    throw new PalyraError('PALYRA_E_CAPABILITY_NOT_FOUND', `plugin "${name}" has no capability ${JSON.stringify(capabilityId)}; it has ${[...validated.capabilities.keys()].join(', ')}`);
  }

  const { definition } = validated;
  const lifecycle = options.lifecycle ?? true;
  if (lifecycle && definition.setup !== undefined) {
    await definition.setup(Object.freeze({ signal: options.signal ?? new AbortController().signal, grants, logger, secrets, dataDir: options.dataDir }));
  }
  const chunks: Uint8Array[] = [];
  const progress: ProgressUpdate[] = [];
  try {
    const execution = new CapabilityExecution(
      { plugin: name, capability, grants, logger, secrets },
      {
        dispatchId: options.dispatchId ?? `test-${capabilityId}`,
        capability: capabilityId,
        input,
        deadline: new Date(Date.now() + (options.timeoutMs ?? 30_000)),
        signal: options.signal ?? new AbortController().signal,
      },
      { write: (chunk) => chunks.push(chunk), progress: (update) => progress.push(update) },
    );
    const outcome = await execution.run();
    return {
      status: outcome.status,
      output: outcome.status === 'succeeded' ? (outcome.output as Output) : undefined,
      error: outcome.status === 'succeeded' ? undefined : outcome.error,
      chunks,
      text: new TextDecoder().decode(concat(chunks)),
      progress,
      logs,
    };
  } finally {
    if (lifecycle) await definition.dispose?.();
  }
}

function collectingLogger(logs: LogLine[], forward: PluginLogger | undefined): PluginLogger {
  const at =
    (level: keyof PluginLogger) =>
    (message: string, fields: Record<string, unknown> = {}): void => {
      logs.push({ level, message, fields });
      forward?.[level](message, fields);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function isPluginSecrets(value: unknown): value is PluginSecrets {
  return typeof value === 'object' && value !== null && typeof (value as PluginSecrets).get === 'function' && typeof (value as PluginSecrets).list === 'function';
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
