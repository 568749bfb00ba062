import type { IncomingMessage, ServerResponse } from 'node:http';
import { PalyraError } from '@palyra/shared/errors';
import type { HttpCaller } from './createAdminHttpServer.js';
import { sendError } from './openAiError.js';

/** The HTTP API's handlers; each gets an authenticated caller. */
export interface HttpRoutes {
  mcp?: (req: IncomingMessage, res: ServerResponse, caller: HttpCaller) => Promise<void>;
  listTools?: (req: IncomingMessage, res: ServerResponse, caller: HttpCaller) => Promise<void>;
  callTools?: (req: IncomingMessage, res: ServerResponse, caller: HttpCaller) => Promise<void>;
  close(): Promise<void>;
}

export async function routeHttpRequest(routes: HttpRoutes, req: IncomingMessage, res: ServerResponse, caller: HttpCaller): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const method = req.method ?? 'GET';
  if (path === '/mcp' && routes.mcp !== undefined) return routes.mcp(req, res, caller);
  if (path === '/v1/tools' && method === 'GET' && routes.listTools !== undefined) return routes.listTools(req, res, caller);
  if (path === '/v1/tool_calls' && method === 'POST' && routes.callTools !== undefined) return routes.callTools(req, res, caller);
  // OpenAI's answer to an unknown route: 404, invalid_request_error, "Invalid URL (METHOD /path)".
  sendError(res, new PalyraError('PALYRA_E_HTTP_NOT_FOUND', `Invalid URL (${method.slice(0, 16)} ${(path ?? '/').slice(0, 256)})`));
}
