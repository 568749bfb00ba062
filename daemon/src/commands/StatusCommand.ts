import { join } from 'node:path';
import { Command, Option } from 'clipanion';
import type { DaemonStatus__Output } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import { caExpiryWarning } from '../ca/caExpiry.js';
import { ADMIN_SOCKET_NAME } from '../admin/socketName.js';
import { DaemonCommand } from './DaemonCommand.js';

export class StatusCommand extends DaemonCommand {
  static override paths = [['status']];
  static override usage = Command.Usage({
    description: 'Show whether the daemon runs, its addresses, CA fingerprint and node counts',
    details: `
      Exits 0 when a daemon answers. When none does, exits 69 with PALYRA_E_DAEMON_UNREACHABLE
      on stderr; with --json it also prints {"running": false, "stateDir", "admin"} on stdout
      ({"running": false, "profile"} or {"running": false, "daemon"} for a remote daemon).
    `,
    examples: [
      ['Status as JSON', 'palyrad status --json'],
      ['A remote daemon, through a saved profile', 'palyrad status --profile prod'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    let status;
    try {
      status = await this.withClient((client) => client.status());
    } catch (error) {
      // "Is it up?" is the question this command answers: a script reading --json gets the
      // answer as a document too, and the exit status and error line say why.
      if (this.json && error instanceof PalyraError && error.code === 'PALYRA_E_DAEMON_UNREACHABLE') {
        const target = this.controlTarget();
        this.printJson(
          target.kind === 'local'
            ? { running: false, stateDir: target.stateDir, admin: join(target.stateDir, ADMIN_SOCKET_NAME) }
            : { running: false, ...(target.kind === 'profile' ? { profile: target.name } : { daemon: target.address }) },
        );
      }
      throw error;
    }
    const document = {
      running: true,
      version: status.version,
      pid: status.pid,
      grpc: status.grpcAddress,
      quic: status.quicAddress,
      admin: status.adminSocket,
      // The remote admin endpoint (--admin-listen), "" when it is off.
      adminTls: status.adminTlsAddress ?? '',
      caFingerprint: status.caFingerprint,
      ca: caDocument(status, new Date()),
      stateDir: status.stateDir,
      startedAt: status.startedAt,
      nodes: { online: status.nodesOnline, offline: status.nodesOffline, pending: status.requestsPending },
      // Registered nodes per certificate state (see docs/security.md).
      certificates: {
        valid: status.certificates?.valid ?? 0,
        renewing: status.certificates?.renewing ?? 0,
        expiring: status.certificates?.expiring ?? 0,
        expired: status.certificates?.expired ?? 0,
        in_grace: status.certificates?.inGrace ?? 0,
      },
      // The node port's TLS certificate: renewed while the daemon runs.
      serverCertificate: { fingerprint: status.serverCertFingerprint, expiresAt: status.serverCertExpiresAt },
      autoApprove: status.autoApprove || 'off',
      store: { engine: status.storeEngine, location: status.storeLocation },
    };
    if (this.json) {
      this.printJson(document);
      return 0;
    }
    this.print(`palyrad ${document.version} running (pid ${document.pid}) since ${document.startedAt}`);
    this.print(`  grpc   ${document.grpc}`);
    this.print(`  quic   ${document.quic}`);
    this.print(`  admin  ${document.admin}`);
    if (document.adminTls !== '') this.print(`  admin-tls ${document.adminTls} (API tokens)`);
    this.print(`  ca     ${document.caFingerprint}${document.ca.notAfter === '' ? '' : ` (expires ${document.ca.notAfter})`}`);
    if (document.ca.rotating) this.print(`  ca rotation in progress: new signing CA ${document.ca.signingFingerprint} (palyrad ca status)`);
    if (document.ca.warning !== undefined) this.print(`  warning: ${document.ca.warning}`);
    if (document.store.engine !== '') this.print(`  store  ${document.store.engine} ${document.store.location}`);
    this.print(`  nodes  ${document.nodes.online} online, ${document.nodes.offline} offline, ${document.nodes.pending} pending approval`);
    const certs = document.certificates;
    this.print(`  certs  ${certs.valid} valid, ${certs.renewing} renewing, ${certs.expiring} expiring, ${certs.in_grace} in grace, ${certs.expired} expired`);
    this.print(`  tls    server certificate until ${document.serverCertificate.expiresAt}  ${document.serverCertificate.fingerprint}`);
    if (document.autoApprove !== 'off') {
      this.print(`  auto-approve ${document.autoApprove}: ${document.autoApprove === 'all' ? 'PIN and QR' : 'QR'} pairings are admitted without an operator`);
    }
    return 0;
  }
}

/** The CA part of `status`: expiry of the CA in use, and a warning when the signing CA has under a year left. */
function caDocument(status: DaemonStatus__Output, now: Date): { notAfter: string; signingFingerprint: string; signingNotAfter: string; rotating: boolean; warning?: string } {
  const signingNotAfter = status.caSigningNotAfter || status.caNotAfter;
  const warning = caExpiryWarning(signingNotAfter, now);
  return {
    notAfter: status.caNotAfter,
    signingFingerprint: status.caSigningFingerprint || status.caFingerprint,
    signingNotAfter,
    rotating: status.caRotating,
    ...(warning === undefined ? {} : { warning }),
  };
}
