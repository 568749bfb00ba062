import { createRequire } from 'node:module';
import type { Ajv as AjvInstance, ErrorObject, ValidateFunction } from 'ajv';
import { PalyraError } from '../errors/index.js';
import type { JsonSchema } from '../plugins/types.js';

const require = createRequire(import.meta.url);
let ajvInstance: AjvInstance | undefined;

/**
 * One ajv instance per process, created on first use: loading ajv costs a CLI command a
 * noticeable part of its start-up time. It keeps no schema (see compileSchema).
 */
function ajv(): AjvInstance {
  if (ajvInstance === undefined) {
    const { Ajv } = require('ajv') as { Ajv: typeof AjvInstance };
    ajvInstance = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  }
  return ajvInstance;
}

export type Validate = (value: unknown) => string[];

/**
 * Compiles a JSON Schema into a function returning the list of problems (empty when the
 * value is valid), each as `<json pointer> <message>`. A schema ajv cannot compile is a
 * PALYRA_E_PLUGIN_INVALID naming `what`.
 *
 * The schema is removed from ajv once compiled (the function keeps what it needs): ajv would
 * otherwise keep every schema object it ever compiled, so the daemon, which compiles the
 * schemas each node announces at every RegisterNode, grew with every reconnect, and a second
 * schema with the same `$id` (the same node reconnecting) failed with "already exists".
 */
export function compileSchema(schema: JsonSchema, what: string): Validate {
  let validate: ValidateFunction;
  const instance = ajv();
  const schemaObject = schema as Record<string, unknown>;
  try {
    validate = instance.compile(schemaObject);
  } catch (error) {
    // Not removed: when compiling failed because the `$id` is taken (by ajv's meta-schema),
    // removing by that id would drop the meta-schema every later compile needs.
    throw new PalyraError('PALYRA_E_PLUGIN_INVALID', `${what} is not a valid JSON Schema: ${(error as Error).message}`, { cause: error });
  }
  instance.removeSchema(schemaObject);
  return (value) => (validate(value) ? [] : describeErrors(validate.errors ?? []));
}

/** Problems as `<json pointer> <message>`, at most ten. */
export function describeErrors(errors: ErrorObject[]): string[] {
  return errors.slice(0, 10).map((e) => `${e.instancePath === '' ? '(root)' : e.instancePath} ${e.message ?? 'is invalid'}`);
}
