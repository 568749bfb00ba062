import { PalyraError } from '@palyra/shared/errors';
import type { Logger } from '@palyra/shared/logging';
import { displayText } from '@palyra/shared/text';
import { logFailure } from '../logging/logFailure.js';
import type { NodeRegistry } from '../registry/index.js';
import type { NodeRecord } from '../registry/types.js';
import type { LiveSession, SessionManager } from '../sessions/SessionManager.js';
import type { CertificateAuthority } from './CertificateAuthority.js';
import type { CaRole } from './CaGeneration.js';
import { caRotateTestPause } from './testPause.js';
import { TokenBuckets } from '../limits/TokenBuckets.js';
import type { ServerCertificate } from './types.js';

/** Fingerprints a node may report as trusted (RegisterNode, TrustAck): more is refused. */
export const MAX_TRUSTED_CAS = 8;
/**
 * Trust changes a node may report in a burst, and the rate they refill at (per second). Each
 * change rewrites the registry's state file and re-checks every node; a rotation needs a
 * handful per node (the bundle, then the smaller one at finish), so a node over this budget
 * is flooding: its report is refused (the Session ends with PALYRA_E_LIMIT_EXCEEDED).
 */
export const TRUST_CHANGE_BURST = 8;
export const TRUST_CHANGES_PER_SECOND = 0.2;
/** Nodes named in a PALYRA_E_CA_IN_USE message. */
const NODES_IN_MESSAGE = 10;
/** Nodes listed in the error's details (the count says how many there are). */
const NODES_IN_DETAILS = 50;

/** Who holds the server certificate served now (ServerCertificateRenewer): CaRotation swaps in one of the new CA. */
export interface ServerCertificateHolder {
  readonly current: ServerCertificate;
  /** Serves `certificate` from now on (gRPC and QUIC, without a restart). */
  replace(certificate: ServerCertificate): void;
}

export interface CaRotationDeps {
  ca: CertificateAuthority;
  registry: NodeRegistry;
  sessions: SessionManager;
  /** Names and addresses the server certificate covers (as at start). */
  serverHosts: readonly string[];
  /** Lifetime of server certificates (tests); default the CA's year. */
  serverValidityMs?: number;
  /** The server certificate served now; called only after the daemon's servers are up. */
  server: () => ServerCertificateHolder;
  /** Puts the trusted CAs (PEM bundle) into the node-facing servers (gRPC provider, QUIC) without a restart. */
  applyTrust: (caBundlePem: string) => void;
  logger?: Logger;
}

export interface CaStatusEntry {
  fingerprint: string;
  role: CaRole;
  /** ISO-8601; empty for a retired generation. */
  notAfter: string;
  createdAt: string;
  /** Registered nodes that trust it (see trustOf). */
  nodesTrusting: number;
  /** Registered nodes whose current certificate it issued. */
  nodesHolding: number;
}

export interface CaStatus {
  cas: CaStatusEntry[];
  serverCaFingerprint: string;
  nodesTotal: number;
  rotating: boolean;
}

export interface CutOffNode {
  deviceId: string;
  name: string;
  /** Holds a certificate of the CA being retired. */
  holdsOldCertificate: boolean;
  /** Does not trust the signing CA (cannot verify the server certificate it issues). */
  lacksTrust: boolean;
}

export interface FinishResult {
  retiredFingerprint: string;
  /** Nodes --force cut off (empty without --force: finish refuses instead). */
  cutOff: CutOffNode[];
  status: CaStatus;
}

/**
 * CA rotation as the running daemon does it (docs/security.md, "CA rotation"):
 * - rotate: a new signing CA; both are trusted (gRPC and QUIC); online nodes get the trust
 *   bundle (DaemonMessage.trust_bundle) and are asked to renew (onto the new CA);
 * - nodes report what they trust (RegisterNode, TrustAck): once every registered node trusts
 *   the signing CA, the server certificate switches to one it issued, swapped in live;
 * - finish: retires the old CA when no registered node depends on it (or --force: the nodes
 *   still holding its certificates are revoked), and pushes the smaller bundle.
 */
export class CaRotation {
  /** Serializes server certificate switches and finish (each reads, then replaces, the server identity). */
  private queue: Promise<unknown> = Promise.resolve();
  /** Per node: the trust-change budget (token bucket); bounded by the registered device ids. */
  private readonly trustBudgets = new TokenBuckets(TRUST_CHANGE_BURST, 1000 / TRUST_CHANGES_PER_SECOND);

  constructor(private readonly deps: CaRotationDeps) {}

  /** The CAs a node trusts: what it reported, else the first CA (what nodes paired before rotations pin). */
  trustOf(node: Readonly<NodeRecord>): readonly string[] {
    return node.trustedCaFingerprints ?? [this.deps.ca.firstFingerprint];
  }

  /** The CA that issued a node's current certificate (records without one: the first CA). */
  issuerOf(node: Readonly<NodeRecord>): string {
    return node.certCaFingerprint ?? this.deps.ca.firstFingerprint;
  }

  /** The CA that issued a node's previous certificate, while one is recorded (not yet confirmed). */
  previousIssuerOf(node: Readonly<NodeRecord>): string | undefined {
    if (node.previousCertFingerprint === undefined) return undefined;
    return node.previousCertCaFingerprint ?? this.deps.ca.firstFingerprint;
  }

  /**
   * Which CA should issue the server certificate: the signing CA once every registered node
   * trusts it, else the oldest CA in use (which every node trusts).
   */
  desiredServerIssuer(): string {
    const { ca, registry } = this.deps;
    const signing = ca.signing.fingerprint;
    const everyoneTrusts = registry.listNodes().every((node) => this.trustOf(node).includes(signing));
    // A pending pairing request pinned the server's CA when its exchange ran (before any
    // switch, so not the signing one): its certificate will come from that CA and the node
    // will verify the server against it alone. Switching now would make that node unable to
    // join (the agent refuses a certificate that does not chain to the CA it pinned) or, once
    // approved, to connect. Requests are short-lived; their decision re-checks (watch).
    const pairingWaits = ca.serverCa.fingerprint !== signing && registry.pendingRequestsNow().length > 0;
    return everyoneTrusts && !pairingWaits ? signing : ca.serverFallback().fingerprint;
  }

  /** Begins a rotation (PALYRA_E_CA_ROTATION_IN_PROGRESS while one runs). */
  async rotate({ signal }: { signal?: AbortSignal } = {}): Promise<CaStatus> {
    const generation = await this.deps.ca.rotate({ afterStep: caRotateTestPause, ...(signal === undefined ? {} : { signal }) });
    this.deps.applyTrust(this.deps.ca.trustBundlePem);
    this.deps.logger?.info({ signing: generation.fingerprint, retiring: this.deps.ca.trusted[0]?.fingerprint }, 'CA rotation begun: both CAs are trusted');
    for (const node of this.deps.registry.listNodes()) {
      const session = this.deps.sessions.get(node.deviceId);
      if (session === undefined) continue;
      this.pushBundle(session);
      // Onto the new CA now rather than at the next scheduled renewal.
      session.send({ renew: { reason: 'CA rotation' } });
    }
    // With no node left to wait for, at once; a failure is retried at the next trust report.
    await this.switchServerIfReadyLogged();
    return this.status();
  }

  /**
   * A node's report of the CAs it trusts (RegisterNode's trusted_ca_fingerprints, TrustAck):
   * recorded when well-formed (at most MAX_TRUSTED_CAS SHA-256 hex strings), then the server
   * certificate switches if this was the last node the signing CA waited for.
   */
  async recordTrust(deviceId: string, fingerprints: readonly string[]): Promise<void> {
    if (fingerprints.length === 0) return; // an agent older than CA rotation reports nothing
    if (fingerprints.length > MAX_TRUSTED_CAS) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `a node may report at most ${MAX_TRUSTED_CAS} trusted CAs, got ${fingerprints.length}`);
    }
    const normalized = fingerprints.map((fp) => (typeof fp === 'string' ? fp.toLowerCase() : ''));
    if (!normalized.every((fp) => /^[0-9a-f]{64}$/.test(fp))) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'trusted CA fingerprints must be SHA-256 hashes in lowercase hex');
    }
    const before = this.deps.registry.getNode(deviceId)?.trustedCaFingerprints;
    // The same report as stored (every RegisterNode of a reconnecting node) costs nothing.
    if (JSON.stringify(before) !== JSON.stringify([...new Set(normalized)].sort())) this.admitTrustChange(deviceId);
    const after = (await this.deps.registry.recordTrustedCas(deviceId, normalized)).trustedCaFingerprints;
    // This may have been the last node the new CA waited for; a failed switch never fails the report.
    if (JSON.stringify(before) !== JSON.stringify(after)) await this.switchServerIfReadyLogged();
  }

  private admitTrustChange(deviceId: string): void {
    if (this.trustBudgets.take(deviceId, Date.now()) > 0) {
      throw new PalyraError('PALYRA_E_LIMIT_EXCEEDED', `node ${deviceId} changes the CAs it reports as trusted too often (burst ${TRUST_CHANGE_BURST}, then one per ${1 / TRUST_CHANGES_PER_SECOND} s)`);
    }
  }

  /**
   * Follows removals (a removed node may have been the last one the new CA waited for): every
   * revocation checks, which costs nothing outside a rotation. Returns the unsubscribe.
   */
  watch(): () => void {
    const stopRevoked = this.deps.registry.onRevoked(() => void this.switchServerIfReadyLogged());
    // A decided (or expired, withdrawn) pairing request may have been the last thing the switch waited for.
    const stopRequests = this.deps.registry.onRequestChange((request) => {
      if (request.state !== 'pending_approval') void this.switchServerIfReadyLogged();
    });
    return () => {
      stopRevoked();
      stopRequests();
    };
  }

  private switchServerIfReadyLogged(): Promise<void> {
    return this.switchServerIfReady().catch((error: unknown) =>
      logFailure(this.deps.logger, 'error', 'switching the server certificate to the new CA failed (retried at the next trust report or start)', error),
    );
  }

  /**
   * A node's Session opened: it gets the bundle when what it trusts is not exactly the CAs in
   * use, and is asked to renew when its certificate is not the signing CA's (a node that was
   * offline when the rotation began, or paired during it).
   */
  nodeOnline(session: LiveSession): void {
    const node = this.deps.registry.getNode(session.deviceId);
    if (node === undefined) return;
    const trusted = new Set(this.trustOf(node));
    const current = this.deps.ca.bundleFingerprints;
    if (trusted.size !== current.length || !current.every((fp) => trusted.has(fp))) this.pushBundle(session);
    if (this.issuerOf(node) !== this.deps.ca.signing.fingerprint) session.send({ renew: { reason: 'CA rotation' } });
  }

  /**
   * Switches the server certificate to the signing CA when every registered node trusts it
   * (and it does not already). Call on start, on trust reports and when nodes go away.
   */
  switchServerIfReady(): Promise<void> {
    const run = this.queue.then(async () => {
      // Nothing to wait for once the server certificate is the signing CA's (every report outside a rotation).
      if (this.deps.ca.serverCa.fingerprint === this.deps.ca.signing.fingerprint) return;
      const issuer = this.desiredServerIssuer();
      if (issuer === this.deps.ca.serverCa.fingerprint) return;
      await this.switchServer(issuer);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async switchServer(issuer: string): Promise<void> {
    const server = await this.deps.ca.ensureServerCertificate({
      hosts: this.deps.serverHosts,
      issuer,
      ...(this.deps.serverValidityMs === undefined ? {} : { validityMs: this.deps.serverValidityMs }),
    });
    this.deps.server().replace(server);
    this.deps.logger?.info({ serverCa: issuer, certFingerprint: server.fingerprint }, 'server certificate switched to the signing CA, without a restart');
  }

  /**
   * Ends the rotation. Refuses (PALYRA_E_CA_IN_USE, naming the nodes) while a registered node
   * holds a certificate of the retiring CA or does not trust the signing one; `force` retires
   * it anyway: the holders' certificates are revoked (their connections close; they must pair
   * again) and nodes without the new CA can no longer verify the server.
   */
  finish({ force = false }: { force?: boolean } = {}): Promise<FinishResult> {
    const run = this.queue.then(() => this.finishNow(force));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async finishNow(force: boolean): Promise<FinishResult> {
    const { ca, registry } = this.deps;
    const retiring = ca.rotating ? ca.trusted[0] : undefined;
    if (retiring === undefined) throw new PalyraError('PALYRA_E_CA_NOT_ROTATING', 'no CA rotation is in progress: start one with palyrad ca rotate');
    const signing = ca.signing.fingerprint;
    const dependents: CutOffNode[] = [];
    for (const node of registry.listNodes()) {
      // Also the previous certificate until the node presents its renewed one: the renewal's
      // answer may never have reached it (or it crashed first), and that is then its only one.
      const holdsOldCertificate = this.issuerOf(node) === retiring.fingerprint || this.previousIssuerOf(node) === retiring.fingerprint;
      const lacksTrust = !this.trustOf(node).includes(signing);
      if (holdsOldCertificate || lacksTrust) dependents.push({ deviceId: node.deviceId, name: node.name, holdsOldCertificate, lacksTrust });
    }
    // Pairing requests whose exchange pinned the retiring CA (the server's until the switch):
    // after finish their certificate could only come from a CA they do not trust.
    const pinnedOld = ca.serverCa.fingerprint === retiring.fingerprint ? registry.pendingRequestsNow() : [];
    if (pinnedOld.length > 0 && !force) {
      const named = pinnedOld.slice(0, NODES_IN_MESSAGE).map((r) => `${displayText(r.name) || '(unnamed)'} (request ${r.requestId}, device ${r.deviceId})`).join('; ');
      const more = pinnedOld.length > NODES_IN_MESSAGE ? `; and ${pinnedOld.length - NODES_IN_MESSAGE} more` : '';
      throw new PalyraError(
        'PALYRA_E_CA_IN_USE',
        `${pinnedOld.length} pending pairing request${pinnedOld.length === 1 ? '' : 's'} pinned the old CA ${retiring.fingerprint}: ${named}${more}. ` +
          'Approve or reject them first (palyrad nodes pending), or finish with --force to withdraw them',
        { details: { retiring: retiring.fingerprint, pendingRequests: pinnedOld.length, requests: pinnedOld.slice(0, NODES_IN_DETAILS).map((r) => r.requestId) } },
      );
    }
    if (dependents.length > 0 && !force) {
      const named = dependents.slice(0, NODES_IN_MESSAGE).map(describe).join('; ');
      const more = dependents.length > NODES_IN_MESSAGE ? `; and ${dependents.length - NODES_IN_MESSAGE} more` : '';
      throw new PalyraError(
        'PALYRA_E_CA_IN_USE',
        `${dependents.length} registered node${dependents.length === 1 ? '' : 's'} still depend${dependents.length === 1 ? 's' : ''} on the old CA ${retiring.fingerprint}: ${named}${more}. ` +
          'Bring them online so they renew and take the new trust bundle (palyrad ca status shows the progress), remove them, or finish with --force to cut them off',
        // Bounded: the details travel in a trailer (palyra-error-bin), and a fleet may be large.
        { details: { retiring: retiring.fingerprint, count: dependents.length, nodes: dependents.slice(0, NODES_IN_DETAILS) } },
      );
    }
    // --force: those requests could never complete; withdrawn before anything changes (an
    // approval racing with this then finds no pending request instead of issuing from a retired CA).
    if (pinnedOld.length > 0) await registry.withdrawRequests(pinnedOld.map((r) => r.requestId));
    if (ca.serverCa.fingerprint !== signing) await this.switchServer(signing);
    const retired = await ca.retire();
    this.deps.applyTrust(ca.trustBundlePem);
    for (const node of dependents) {
      if (!node.holdsOldCertificate) continue;
      const record = registry.getNode(node.deviceId);
      if (record !== undefined && this.issuerOf(record) !== retired) {
        // Only its previous certificate is the old CA's: that one goes (and its connections
        // close), the renewed one from the new CA stays.
        await registry.confirmCertificate(node.deviceId, record.certFingerprint).catch((error: unknown) => {
          logFailure(this.deps.logger, 'error', `CA finish: revoking the previous certificate of ${node.deviceId} failed`, error);
        });
        continue;
      }
      await registry.revokeCertificates(node.deviceId, `its certificate was issued by the retired CA ${retired}`).catch((error: unknown) => {
        logFailure(this.deps.logger, 'error', `CA finish: revoking the certificate of ${node.deviceId} failed`, error);
      });
    }
    for (const node of registry.listNodes()) {
      const session = this.deps.sessions.get(node.deviceId);
      if (session !== undefined) this.pushBundle(session);
    }
    this.deps.logger?.info({ retired, signing, cutOff: dependents.length }, dependents.length === 0 ? 'CA rotation finished' : 'CA rotation finished with --force: nodes cut off');
    return { retiredFingerprint: retired, cutOff: dependents, status: this.status() };
  }

  status(): CaStatus {
    const { ca, registry } = this.deps;
    const nodes = registry.listNodes();
    return {
      cas: ca.generations.map((g) => ({
        fingerprint: g.fingerprint,
        role: g.role,
        notAfter: Number.isNaN(g.notAfter.getTime()) ? '' : g.notAfter.toISOString(),
        createdAt: g.createdAt,
        nodesTrusting: nodes.filter((node) => this.trustOf(node).includes(g.fingerprint)).length,
        nodesHolding: nodes.filter((node) => this.issuerOf(node) === g.fingerprint).length,
      })),
      serverCaFingerprint: ca.serverCa.fingerprint,
      nodesTotal: nodes.length,
      rotating: ca.rotating,
    };
  }

  private pushBundle(session: LiveSession): void {
    session.send({ trustBundle: { caBundlePem: this.deps.ca.trustBundlePem } });
  }
}

function describe(node: CutOffNode): string {
  const why = [node.holdsOldCertificate ? 'holds a certificate of the old CA' : '', node.lacksTrust ? 'does not trust the new CA yet' : ''].filter(Boolean).join(', ');
  return `${displayText(node.name) || '(unnamed)'} (${node.deviceId}): ${why}`;
}
