import { PalyraError } from '../errors/index.js';
import { PLUGIN_API_VERSION, type CapabilityDefinition, type CapabilityKind, type JsonSchema, type PluginDefinition } from '../plugins/index.js';
import { CAPABILITY_ID_PATTERN } from '../plugins/capabilityId.js';
import { compileSchema, type Validate } from '../schema/SchemaValidator.js';
import { hasUnsafeText } from '../text/peerText.js';

export const PLUGIN_NAME_PATTERN = /^[a-z][a-z0-9-]{0,63}$/;
/** `MAJOR.MINOR.PATCH` with an optional `-prerelease` and `+build`. */
export const PLUGIN_VERSION_PATTERN = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
export const CAPABILITY_KINDS: readonly CapabilityKind[] = ['read', 'mutate', 'exec', 'net'];

/** A plugin without a grantsSchema takes no grants: only `{}` (or no `grants`) is valid. */
const NO_GRANTS_SCHEMA: JsonSchema = Object.freeze({ type: 'object', additionalProperties: false, maxProperties: 0 });

/** A capability whose manifest passed validation, with its compiled schemas. */
export interface ValidatedCapability {
  readonly definition: CapabilityDefinition<unknown, unknown, unknown>;
  readonly validateInput: Validate;
  readonly validateOutput: Validate;
}

/** A plugin whose manifest passed validation, with its compiled schemas. */
export interface ValidatedPlugin {
  readonly definition: PluginDefinition<unknown>;
  /** Where it came from (file path or package name), for messages. */
  readonly source: string;
  readonly validateGrants: Validate;
  /** Its capabilities by id, in declaration order. */
  readonly capabilities: ReadonlyMap<string, ValidatedCapability>;
}

interface Problem {
  field: string;
  problem: string;
}

/**
 * Checks that `value` (a plugin module's default export) is a valid API-version-1 plugin and
 * compiles its schemas. Throws PALYRA_E_PLUGIN_INVALID listing every problem, each naming
 * the field; the message and `details` name the source and the plugin.
 */
export function validatePluginManifest(value: unknown, source: string): ValidatedPlugin {
  if (!isRecord(value)) {
    throw invalid(source, undefined, [{ field: '(default export)', problem: `must be a plugin object made with definePlugin (got ${describe(value)})` }]);
  }
  const problems: Problem[] = [];
  const check = (ok: boolean, field: string, problem: string): boolean => {
    if (!ok) problems.push({ field, problem });
    return ok;
  };
  const name = typeof value.name === 'string' && PLUGIN_NAME_PATTERN.test(value.name) ? value.name : undefined;
  check(name !== undefined, 'name', `must match ${PLUGIN_NAME_PATTERN} (got ${describe(value.name)})`);
  check(
    typeof value.version === 'string' && PLUGIN_VERSION_PATTERN.test(value.version),
    'version',
    `must be a semver version like "1.2.3" (got ${describe(value.version)})`,
  );
  check(
    value.apiVersion === PLUGIN_API_VERSION,
    'apiVersion',
    `must be ${PLUGIN_API_VERSION}, the plugin API this agent implements (got ${describe(value.apiVersion)})`,
  );
  check(value.description === undefined || typeof value.description === 'string', 'description', `must be a string when present (got ${describe(value.description)})`);
  check(value.setup === undefined || typeof value.setup === 'function', 'setup', `must be a function when present (got ${describe(value.setup)})`);
  check(value.dispose === undefined || typeof value.dispose === 'function', 'dispose', `must be a function when present (got ${describe(value.dispose)})`);

  let validateGrants: Validate | undefined;
  if (value.grantsSchema === undefined) {
    validateGrants = compileSchema(NO_GRANTS_SCHEMA, 'the empty grants schema');
  } else {
    validateGrants = compileField(value.grantsSchema, 'grantsSchema', problems);
  }

  const capabilities = new Map<string, ValidatedCapability>();
  if (check(Array.isArray(value.capabilities) && value.capabilities.length > 0, 'capabilities', `must be a non-empty array of capabilities (got ${describe(value.capabilities)})`)) {
    (value.capabilities as unknown[]).forEach((capability, index) => {
      const validated = validateCapability(capability, `capabilities[${index}]`, problems);
      if (validated === undefined) return;
      const id = validated.definition.id;
      if (capabilities.has(id)) {
        problems.push({ field: `capabilities[${index}].id`, problem: `"${id}" is declared twice in this plugin` });
      } else {
        capabilities.set(id, validated);
      }
    });
  }

  if (problems.length > 0 || name === undefined || validateGrants === undefined) {
    throw invalid(source, name ?? (typeof value.name === 'string' ? value.name : undefined), problems);
  }
  return { definition: value as unknown as PluginDefinition<unknown>, source, validateGrants, capabilities };
}

function validateCapability(value: unknown, at: string, problems: Problem[]): ValidatedCapability | undefined {
  if (!isRecord(value)) {
    problems.push({ field: at, problem: `must be a capability object (got ${describe(value)})` });
    return undefined;
  }
  const before = problems.length;
  const idOk = typeof value.id === 'string' && CAPABILITY_ID_PATTERN.test(value.id);
  if (!idOk) problems.push({ field: `${at}.id`, problem: `must be a dotted lowercase id like "fs.read" (got ${describe(value.id)})` });
  const where = idOk ? `${at} ("${value.id as string}")` : at;
  if (typeof value.kind !== 'string' || !(CAPABILITY_KINDS as readonly string[]).includes(value.kind)) {
    problems.push({ field: `${where}.kind`, problem: `must be one of ${CAPABILITY_KINDS.join(', ')} (got ${describe(value.kind)})` });
  }
  if (typeof value.description !== 'string' || value.description.trim() === '') {
    problems.push({ field: `${where}.description`, problem: `must be a non-empty string (got ${describe(value.description)})` });
  } else if (hasUnsafeText(value.description) || value.description.length > 1024) {
    // The daemon refuses such a description at RegisterNode: say so at load time, naming the plugin.
    problems.push({ field: `${where}.description`, problem: 'must be at most 1024 characters, on one line, without control, format or invisible characters' });
  }
  if (typeof value.execute !== 'function') {
    problems.push({ field: `${where}.execute`, problem: `must be a function (got ${describe(value.execute)})` });
  }
  const validateInput = compileField(value.inputSchema, `${where}.inputSchema`, problems);
  const validateOutput = compileField(value.outputSchema, `${where}.outputSchema`, problems);
  if (problems.length > before || validateInput === undefined || validateOutput === undefined) return undefined;
  return { definition: value as unknown as CapabilityDefinition<unknown, unknown, unknown>, validateInput, validateOutput };
}

/** Compiles a schema field; records a problem (and returns undefined) when it is not a usable JSON Schema. */
function compileField(schema: unknown, field: string, problems: Problem[]): Validate | undefined {
  if (!isRecord(schema)) {
    problems.push({ field, problem: `must be a JSON Schema object (got ${describe(schema)})` });
    return undefined;
  }
  try {
    // It travels to the daemon as JSON (RegisterNode), so it must survive JSON.
    JSON.stringify(schema);
  } catch (error) {
    problems.push({ field, problem: `must be plain JSON: ${(error as Error).message}` });
    return undefined;
  }
  try {
    return compileSchema(schema, field);
  } catch (error) {
    problems.push({ field, problem: `is not a valid JSON Schema: ${ajvMessage(error)}` });
    return undefined;
  }
}

function invalid(source: string, plugin: string | undefined, problems: Problem[]): PalyraError {
  const who = plugin === undefined ? `the plugin from ${source}` : `plugin "${plugin}" from ${source}`;
  const list = problems.map((p) => `${p.field} ${p.problem}`).join('; ');
  return new PalyraError('PALYRA_E_PLUGIN_INVALID', `${who} is not a valid plugin: ${list} (see docs/plugins.md)`, {
    details: { source, plugin: plugin ?? null, field: problems[0]?.field ?? null, problems },
  });
}

function ajvMessage(error: unknown): string {
  // compileSchema wraps ajv's error; keep ajv's own words.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short description of a value for messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
