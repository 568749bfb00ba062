import type { IncomingMessage } from 'node:http';
import { PalyraError } from '@palyra/shared/errors';

/** The largest request body the HTTP API reads: 1 MiB, as the admin API's messages. */
export const MAX_HTTP_BODY_BYTES = 1024 * 1024;

/** HTTP 413 (openAiError). */
export function bodyTooLarge(): PalyraError {
  return new PalyraError('PALYRA_E_BODY_TOO_LARGE', `the request body is larger than ${MAX_HTTP_BODY_BYTES} bytes`, { details: { limit: MAX_HTTP_BODY_BYTES } });
}

/**
 * Reads a JSON request body of at most `limit` bytes: a declared or actual larger one is refused
 * as soon as that is known (the rest is never buffered); invalid JSON is PALYRA_E_INVALID_ARGUMENT.
 */
export async function readJsonBody(req: IncomingMessage, limit = MAX_HTTP_BODY_BYTES): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw bodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw bodyTooLarge();
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'the request body is not valid JSON');
  }
}
