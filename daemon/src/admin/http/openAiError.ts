import type { ServerResponse } from 'node:http';
import { PalyraError, type GrpcStatusName } from '@palyra/shared/errors';

/** OpenAI's error object (https://platform.openai.com/docs/guides/error-codes): every failed request's body. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const HTTP_STATUS: Record<GrpcStatusName, number> = {
  CANCELLED: 499,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
};

/** OpenAI's `type` for each HTTP status it uses. */
function typeOf(status: number): string {
  if (status === 401) return 'invalid_request_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The HTTP status and OpenAI error object of an error; the Palyra code is the object's `code`. */
export function openAiError(error: unknown, param: string | null = null): { status: number; body: OpenAiErrorBody; retryAfterMs?: number } {
  const palyra = PalyraError.from(error);
  const status = palyra.code === 'PALYRA_E_BODY_TOO_LARGE' ? 413 : HTTP_STATUS[palyra.grpcStatus];
  const retry = (palyra.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return {
    status,
    body: { error: { message: palyra.message, type: typeOf(status), param: param ?? paramOf(palyra), code: palyra.code } },
    ...(typeof retry === 'number' ? { retryAfterMs: retry } : {}),
  };
}

/** Writes an error response (with Retry-After, in whole seconds, when the error has a wait). */
export function sendError(res: ServerResponse, error: unknown, param: string | null = null): void {
  const { status, body, retryAfterMs } = openAiError(error, param);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  if (status === 401) headers['www-authenticate'] = 'Bearer';
  // A request whose body was not read whole (a 413 on its declared length, a 401 before it):
  // node:http would read and drop whatever the peer still sends, for as long as it sends.
  // Closing the connection after the answer ends that.
  if (bodyUnread(res)) headers.connection = 'close';
  sendJson(res, status, body, headers);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/**
 * The request announced a body (chunked, or a non-zero Content-Length) that has not come whole.
 * A request without one is left alone: it may be answered before node:http marks it complete.
 */
function bodyUnread(res: ServerResponse): boolean {
  const req = res.req as ServerResponse['req'] | undefined;
  if (req === undefined || req.complete) return false;
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** The request field an invalid-argument error names (details.param), as OpenAI's `param`. */
function paramOf(error: PalyraError): string | null {
  const param = error.details?.param;
  return typeof param === 'string' ? param : null;
}
