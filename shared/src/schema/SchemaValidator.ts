import { createRequire } from 'node:module';
import type { Ajv as AjvInstance, ErrorObject, ValidateFunction } from 'ajv';
import { PalyraError } from '../errors/index.js';
import type { JsonSchema } from '../plugins/types.js';

const require = createRequire(import.meta.url);
let ajvInstance: AjvInstance | undefined;

/**
 * One ajv instance per process (compiled schemas are cached by identity), created on first
 * use: loading ajv costs a CLI command a noticeable part of its start-up time.
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
 */
export function compileSchema(schema: JsonSchema, what: string): Validate {
  let validate: ValidateFunction;
  try {
    validate = ajv().compile(schema as Record<string, unknown>);
  } catch (error) {
    throw new PalyraError('PALYRA_E_PLUGIN_INVALID', `${what} is not a valid JSON Schema: ${(error as Error).message}`, { cause: error });
  }
  return (value) => (validate(value) ? [] : describeErrors(validate.errors ?? []));
}

function describeErrors(errors: ErrorObject[]): string[] {
  return errors.slice(0, 10).map((e) => `${e.instancePath === '' ? '(root)' : e.instancePath} ${e.message ?? 'is invalid'}`);
}
