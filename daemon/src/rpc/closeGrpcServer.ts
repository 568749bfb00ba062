import type * as grpc from '@grpc/grpc-js';

/**
 * Stops a grpc server: a graceful shutdown first, then forced after a grace period, because
 * tryShutdown never completes while a stream (a node's Session) is open.
 */
export async function closeGrpcServer(server: grpc.Server, graceMs = 1_000): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
