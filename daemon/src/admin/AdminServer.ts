import { chmod, rm } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { loadPalyraProto } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import { createAdminServiceHandlers, type AdminServiceDeps } from './AdminServiceImpl.js';
import { gateAdminHandlers } from '../access/AccessGate.js';
import { localOwner } from '../access/callActor.js';
import { ApprovalsWatchers } from './watchApprovalsHandler.js';
import { closeGrpcServer } from '../rpc/closeGrpcServer.js';

export { ADMIN_SOCKET_NAME } from './socketName.js';

/**
 * The admin API on a Unix socket in the state dir. Access control is the file system's: the
 * socket is 0600 inside a 0700 directory, so only the daemon's user can reach it.
 */
export class AdminServer {
  private server: grpc.Server | undefined;
  private readonly watchers = new ApprovalsWatchers();

  constructor(
    private readonly socketPath: string,
    private readonly deps: AdminServiceDeps,
  ) {}

  async start(): Promise<void> {
    if (this.server !== undefined) return;
    // A socket left by a daemon that crashed; the state-dir lock proved no daemon owns it.
    await rm(this.socketPath, { force: true });
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 1024 * 1024 });
    // The socket's caller is the daemon's own user (0600 socket in a 0700 dir): the local owner.
    const owner = localOwner();
    server.addService(loadPalyraProto().AdminService.service, gateAdminHandlers(createAdminServiceHandlers(this.deps, { watchers: this.watchers }), async () => owner));
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix://${this.socketPath}`, grpc.ServerCredentials.createInsecure(), (error) => {
        if (error) {
          reject(new PalyraError('PALYRA_E_LISTEN_FAILED', `cannot listen on admin socket ${this.socketPath}: ${error.message}`, { cause: error }));
        } else resolve();
      });
    });
    await chmod(this.socketPath, 0o600);
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    // Operators' watch streams would hold a graceful shutdown open until it is forced.
    this.watchers.closeAll(new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', 'the daemon is shutting down'));
    await closeGrpcServer(server);
    await rm(this.socketPath, { force: true });
  }
}
