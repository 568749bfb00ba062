import type { PalyraErrorJson } from '../errors/index.js';

/**
 * The messages between the daemon and the thread that compiles and runs node-supplied
 * schemas (untrustedSchemaWorker.ts). The thread answers each compile and validate with one
 * reply, in the order it received them; a release has no reply.
 */
export type UntrustedSchemaJob =
  /** Compile `schemaText` (JSON) and keep it under `id`; `what` names it in errors. */
  | { op: 'compile'; id: number; schemaText: string; what: string }
  /** Validate the JSON text `inputJson` against the schema kept under `id`. */
  | { op: 'validate'; id: number; inputJson: string }
  /** Drop the schema kept under `id`. */
  | { op: 'release'; id: number };

export type UntrustedSchemaReply =
  /** Sent once, when the thread has loaded its modules and can take jobs. */
  | { ready: true }
  /** A job done: the problems of the input (empty when valid; always empty for a compile). */
  | { ok: true; problems: string[] }
  | { ok: false; error: PalyraErrorJson };

/** The thread's entry module, beside this one (both are loaded from the built package). */
export const UNTRUSTED_SCHEMA_WORKER_URL = new URL('./untrustedSchemaWorker.js', import.meta.url);
