/**
 * Entry module of the daemon's schema worker thread: compiles node-supplied schemas with
 * compileUntrustedSchema and validates inputs against them, off the daemon's event loop.
 * Jobs arrive one message at a time and are answered in order; the daemon times each one and
 * terminates this thread when one overruns (a running ajv function cannot be stopped
 * otherwise). See daemon/src/dispatch/SchemaWorker.ts.
 */
import { parentPort } from 'node:worker_threads';
import { PalyraError } from '../errors/index.js';
import { compileUntrustedSchema } from './compileUntrustedSchema.js';
import type { Validate } from '@palyra/plugin-sdk/host';
import type { UntrustedSchemaJob, UntrustedSchemaReply } from './untrustedSchemaJobs.js';

const port = parentPort;
if (port === null) throw new Error('untrustedSchemaWorker runs as a worker thread only');

const validators = new Map<number, Validate>();

function run(job: UntrustedSchemaJob): string[] {
  switch (job.op) {
    case 'compile':
      validators.delete(job.id);
      validators.set(job.id, compileUntrustedSchema(parseSchema(job.schemaText, job.what), job.what));
      return [];
    case 'validate': {
      const validate = validators.get(job.id);
      if (validate === undefined) throw new PalyraError('PALYRA_E_INTERNAL', `schema ${job.id} is not compiled in the schema worker`);
      let value: unknown;
      try {
        value = JSON.parse(job.inputJson);
      } catch {
        throw new PalyraError('PALYRA_E_INPUT_INVALID', 'the input is not valid JSON');
      }
      return validate(value);
    }
    case 'release':
      validators.delete(job.id);
      return [];
  }
}

function parseSchema(json: string, what: string): Record<string, unknown> {
  try {
    const schema: unknown = JSON.parse(json);
    if (typeof schema === 'object' && schema !== null && !Array.isArray(schema)) return schema as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `${what} is not a JSON object`);
}

port.on('message', (job: UntrustedSchemaJob) => {
  let reply: UntrustedSchemaReply;
  try {
    reply = { ok: true, problems: run(job) };
  } catch (error) {
    reply = { ok: false, error: PalyraError.from(error).toJSON() };
  }
  if (job.op !== 'release') port.postMessage(reply);
});

// Load ajv and RE2 now, so that the first job's deadline is not spent loading modules.
compileUntrustedSchema({ type: 'object', properties: { a: { type: 'string', pattern: '^a' } } }, 'the warm-up schema');
port.postMessage({ ready: true } satisfies UntrustedSchemaReply);
