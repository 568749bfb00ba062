import { createRequire } from 'node:module';
import type { Ajv as AjvInstance, ValidateFunction } from 'ajv';
import { PalyraError } from '../errors/index.js';
import { checkUntrustedSchema, UntrustedSchemaError } from './checkUntrustedSchema.js';
import { linearRegExpEngine } from './linearRegExp.js';
import { describeErrors, type Validate } from '@palyra/plugin-sdk/host';

const require = createRequire(import.meta.url);
let ajvInstance: AjvInstance | undefined;

/**
 * The ajv instance for schemas a peer sent. Unlike the one for our own schemas: every regex
 * goes through RE2 (`code.regExp`); `format` is not checked (ajv would build its regexes
 * with V8's engine, and a peer's unknown formats would be logged); ajv logs nothing (a peer
 * must not be able to write to the daemon's log through warnings).
 */
function ajv(): AjvInstance {
  if (ajvInstance === undefined) {
    const { Ajv } = require('ajv') as { Ajv: typeof AjvInstance };
    ajvInstance = new Ajv({
      allErrors: true,
      strict: false,
      allowUnionTypes: true,
      allowMatchingProperties: true,
      validateFormats: false,
      logger: false,
      code: { regExp: linearRegExpEngine },
    });
  }
  return ajvInstance;
}

/**
 * Compiles a JSON Schema received from a peer (a node's capability announcement). It must
 * pass checkUntrustedSchema (linear-time regexes, acyclic local references, bounded size):
 * validating any input against the result then takes time linear in the input. A schema
 * that does not is PALYRA_E_SCHEMA_REFUSED naming `what` and the offending keyword.
 */
export function compileUntrustedSchema(schema: Record<string, unknown>, what: string): Validate {
  try {
    checkUntrustedSchema(schema);
  } catch (error) {
    if (!(error instanceof UntrustedSchemaError)) throw error;
    throw new PalyraError('PALYRA_E_SCHEMA_REFUSED', `${what} is refused: ${error.message}`, {
      details: { pointer: error.pointer },
    });
  }
  const instance = ajv();
  let validate: ValidateFunction;
  try {
    validate = instance.compile(schema);
  } catch (error) {
    throw new PalyraError('PALYRA_E_SCHEMA_REFUSED', `${what} is not a valid JSON Schema: ${(error as Error).message.slice(0, 200)}`, {
      cause: error,
    });
  }
  // As compileSchema does: ajv would otherwise keep every schema it compiled.
  instance.removeSchema(schema);
  return (value) => (validate(value) ? [] : describeErrors(validate.errors ?? []));
}
