import { Command, Option } from 'clipanion';
import { AgentCommand } from './AgentCommand.js';
import { loadPluginsForListing } from './loadPluginsForListing.js';
import { readRuntimeStatus } from '../status/RuntimeStatus.js';
import { describeCertificate } from '../status/certificateStatus.js';

export class StatusCommand extends AgentCommand {
  static override paths = [['status']];
  static override usage = Command.Usage({
    description: 'Show this node’s identity, daemon, certificate state and renewal, and where the identity is kept',
    details:
      'The `vault` field says which backend holds the identity: `backend` is `os` (the data key in the OS vault) or `file` (an encrypted file whose key comes from a passphrase or a key file). ' +
      '`certState` is `valid`, `renewing`, `expiring` (under a sixth of its lifetime left) or `expired` (past its notAfter: the agent renews it over the grace path, or it must pair again); ' +
      '`nextRenewalAt` and `lastRenewal` (`at`, `result` renewed|failed, `path` mtls|grace, `errorCode`, `error`) come from the running agent.',
    examples: [['As JSON', 'palyra-node status --json']],
  });

  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    const store = await this.identityStore();
    const identity = await store.load();
    // What the running agent (if any) reports: its health/events transport and last round trip.
    const running = await readRuntimeStatus(this.resolvedStateDir);
    const agent =
      running === null
        ? { running: false, pid: null, transport: null, fallback: null, reason: null, quicAddress: null, healthRttMs: null, lastHealthAt: null }
        : {
            running: true,
            pid: running.pid,
            transport: running.transport,
            fallback: running.fallback,
            reason: running.reason,
            quicAddress: running.quicAddress,
            healthRttMs: running.healthRttMs,
            lastHealthAt: running.lastHealthAt,
          };
    const certificate = identity === undefined ? undefined : describeCertificate(identity, running);
    const plugins = (await loadPluginsForListing(this.config)).plugins.map((p) => ({ name: p.name, version: p.version, capabilities: p.capabilities }));
    const document =
      identity === undefined
        ? { joined: false, stateDir: this.resolvedStateDir, vault: null, plugins }
        : {
            joined: true,
            deviceId: identity.deviceId,
            name: identity.name,
            daemon: identity.daemonAddress,
            caFingerprint: identity.caFingerprint,
            certExpiresAt: identity.certExpiresAt,
            certIssuedAt: certificate?.issuedAt ?? null,
            certState: certificate?.state ?? null,
            nextRenewalAt: running?.nextRenewalAt ?? null,
            lastRenewal: running?.lastRenewal ?? null,
            trustedCaFingerprints: certificate?.trustedCaFingerprints ?? [],
            joinedAt: identity.joinedAt,
            stateDir: this.resolvedStateDir,
            vault: store.backendInfo ?? null,
            plugins,
            agent,
            transport: agent.transport,
          };
    if (this.json) {
      this.printJson(document);
      return 0;
    }
    if (!document.joined || identity === undefined) {
      this.print(`not joined (state dir ${this.resolvedStateDir}): run palyra-node join --pin <PIN> --daemon HOST:PORT`);
      return 0;
    }
    this.print(`device  ${identity.deviceId} (${identity.name})`);
    this.print(`daemon  ${identity.daemonAddress}  ca ${identity.caFingerprint}`);
    for (const line of certificate?.lines ?? []) this.print(line);
    this.print(`vault   ${store.backendInfo === undefined ? store.backend : `${store.backendInfo.backend}: ${store.backendInfo.description}`}`);
    this.print(
      `agent   ${
        running === null
          ? 'not running (start it with palyra-node run)'
          : `running (pid ${running.pid}), transport ${running.transport}${running.reason === null ? '' : ` (${running.reason})`}${running.healthRttMs === null ? '' : `, health rtt ${running.healthRttMs} ms`}`
      }`,
    );
    this.print(`plugins ${plugins.length === 0 ? 'none loaded' : plugins.map((p) => `${p.name} (${p.capabilities.length} capabilities)`).join(', ')}`);
    return 0;
  }
}
