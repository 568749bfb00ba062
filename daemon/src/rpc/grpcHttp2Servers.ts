import type { Http2SecureServer } from 'node:http2';
import { Server as TlsServer } from 'node:tls';
import type * as grpc from '@grpc/grpc-js';
import { PalyraError } from '@palyra/shared/errors';

/**
 * The node:http2 secure servers a bound grpc.Server listens with. grpc-js (1.14) creates them
 * internally and offers no public hook at the socket level, where the connection limits
 * (ConnectionGuard) and the TLS details of refused client certificates must live: a call
 * handler only runs once a peer finished TLS and HTTP/2, which is exactly what an idle or
 * slow peer never does. So this reads its private `http2Servers` map, and refuses to start
 * when that is not what it expects: the daemon must never run without its connection limits
 * because a grpc-js upgrade moved them (test/e2e/connection-limits.test.ts pins the behaviour).
 */
export function grpcHttp2Servers(server: grpc.Server): Http2SecureServer[] {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) {
    throw new PalyraError('PALYRA_E_INTERNAL', 'this @grpc/grpc-js build has no http2Servers map: connection limits cannot be applied');
  }
  const found = [...servers.keys()];
  if (!found.every((candidate): candidate is Http2SecureServer => candidate instanceof TlsServer)) {
    throw new PalyraError('PALYRA_E_INTERNAL', 'the gRPC server does not listen with node:http2 secure servers: connection limits cannot be applied');
  }
  return found;
}
