import type { Store } from '../store/types.js';
import type { NodeRecord, PairingCodeRecord, PairingRequestRecord, UsablePairingCode } from './types.js';
import { identityChangeOf, type IdentityChange } from './identityChange.js';
import { expired } from './utils.js';
import { throwIfAborted } from '@palyra/plugin-sdk';
import { loadRegistryState, type RegistryRows } from './loadRegistryState.js';
import { PairingCodes, type NewPairingCode } from './PairingCodes.js';
import { PairingRequests } from './PairingRequests.js';
import { RegisteredNodes } from './RegisteredNodes.js';
import { RevokedCertificates } from './RevokedCertificates.js';
import { CommitThenThrow } from './RegistryTransaction.js';
import { RegistryWriter } from './RegistryWriter.js';
import { UnsavedRows } from './UnsavedRows.js';
import { RegistryListeners, type RenewalListener, type RequestListener, type RevocationListener } from './RegistryListeners.js';
import type { LabelChange } from '@palyra/shared/labels';
import { applyOperatorLabels } from './operatorLabels.js';
import type { ApproveOptions, NodeRegistryOptions, RenewOptions, SignalOption, WithdrawOptions } from './registryOptions.js';
import type { IssuedCertificate, NewPairingRequest, NodeInfoUpdate, RenewedCertificate } from './registryInputs.js';
import { addPairingRequest } from './addPairingRequest.js';
import { approvePairingRequest } from './approvePairingRequest.js';
import { decide, pendingRequest } from './requestDecisions.js';
import { findNode, nodeInfoChanges, normalizeTrustedCas, trustedCasUnchanged, withTrustedCas } from './nodeUpdates.js';
import { awaitsConfirmation, confirmRenewal, recordRenewal, type CertificateRenewal } from './renewCertificate.js';
import { pruneExpiredRevocations, revokeAll } from './denyList.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * The daemon's pairing codes, pairing requests, registered nodes and revoked certificates:
 * in memory, indexed, over the store's repositories. Mutations run one at a time; each writes
 * only the rows it changed, in one store transaction, and takes effect (in memory, for
 * readers, for listeners) only once that committed (RegistryWriter): a failed write changes
 * nothing, except for a node removal (see removeNode). Reads are synchronous; the per-RPC
 * ones are O(1).
 *
 * This class is the registry's one entry point: each method picks the rows it needs and hands
 * the work to the module that owns it (pairing codes, requests, node updates, renewals, the
 * deny list), inside one mutation.
 */
export class NodeRegistry {
  private readonly now: () => Date;
  private readonly codeTtlMs: number;
  private readonly requestTtlMs: number;
  private readonly lastSeenFlushMs: number;
  private readonly onError: (error: unknown) => void;

  private readonly codes = new PairingCodes();
  private readonly requests = new PairingRequests();
  private readonly nodes = new RegisteredNodes();
  private readonly revoked = new RevokedCertificates();
  private readonly listeners: RegistryListeners;
  private readonly writer: RegistryWriter;
  private lastSeenTimer: NodeJS.Timeout | undefined;

  /**
   * Loads the registry from the store (once; every row validated: PALYRA_E_STATE_CORRUPT
   * names a bad one). Codes the store says are active are ended in memory at once (their
   * derivations died with the previous run); flush() writes that.
   */
  static async open(store: Store, options: NodeRegistryOptions & SignalOption = {}): Promise<NodeRegistry> {
    const rows = await loadRegistryState(store, { signal: options.signal });
    return new NodeRegistry(store, rows, options);
  }

  private constructor(store: Store, rows: RegistryRows, options: NodeRegistryOptions) {
    this.now = options.now ?? (() => new Date());
    this.codeTtlMs = options.codeTtlMs ?? 10 * MINUTE;
    this.requestTtlMs = options.requestTtlMs ?? 15 * MINUTE;
    this.lastSeenFlushMs = options.lastSeenFlushMs ?? 5_000;
    this.onError =
      options.onError ??
      ((error) => process.emitWarning(`node registry: ${error instanceof Error ? error.message : String(error)}`));
    const unsaved = new UnsavedRows();
    for (const id of this.codes.load(rows.codes, this.now())) unsaved.codes.add(id);
    this.requests.table.apply(new Map(rows.requests.map((r) => [r.requestId, r])));
    this.nodes.table.apply(new Map(rows.nodes.map((n) => [n.deviceId, n])));
    this.revoked.load(rows.revoked);
    this.listeners = new RegistryListeners(this.onError);
    this.writer = new RegistryWriter(
      store,
      { codes: this.codes, requests: this.requests, nodes: this.nodes, revoked: this.revoked },
      {
        now: this.now,
        retentionMs: options.retentionMs ?? 7 * DAY,
        maxRetained: options.maxRetained ?? 1000,
        onError: this.onError,
        listeners: this.listeners,
        unsaved,
      },
    );
  }

  // ---------------------------------------------------------------- pairing codes

  /**
   * Adds an active code. A PIN supersedes the active PIN, if any (a CPace attempt cannot say
   * which PIN it is for without leaking it, so only one may be active); `superseded` tells.
   */
  addPairingCode(
    input: NewPairingCode,
    { signal }: SignalOption = {},
  ): Promise<{ code: Readonly<PairingCodeRecord>; superseded: boolean }> {
    return this.writer.mutate(signal, (tx) => this.codes.add(tx, input, this.codeTtlMs));
  }

  /**
   * The active PIN code. Rejects with PALYRA_E_PAIRING_CODE_EXPIRED, _BURNED or _USED after
   * the latest PIN's fate, or PALYRA_E_PAIRING_NO_CODE; an active code found expired is
   * marked so (persisted) first.
   */
  activePinCode({ signal }: SignalOption = {}): Promise<Readonly<UsablePairingCode>> {
    return this.writer.mutate(signal, (tx) => this.codes.activePin(tx));
  }

  /**
   * The PIN code `id` for an exchange a node asked for by id: the active PIN, or a superseded
   * one that is still a candidate (supersededPinCandidates). Attempts count against that code
   * only. Otherwise the error for its state ("replaced by a newer one" for a superseded PIN).
   */
  pinCodeForExchange(id: string, { signal }: SignalOption = {}): Promise<Readonly<UsablePairingCode>> {
    return this.writer.mutate(signal, (tx) => this.codes.forExchange(tx, id));
  }

  /**
   * Ids of the superseded PINs a node may try before the active one, newest first: a CPace
   * exchange cannot say which PIN it is for, so a node holding a PIN that was replaced would
   * otherwise spend one of the active PIN's attempts. Trying them costs only their own
   * attempts (they can never pair: a proven superseded PIN is refused as replaced).
   */
  supersededPinCandidates(): string[] {
    return this.codes.candidates(this.now());
  }

  /** The code `id` if it is active; otherwise the error for its state (see activePinCode). */
  findActiveCode(id: string, { signal }: SignalOption = {}): Promise<Readonly<UsablePairingCode>> {
    return this.writer.mutate(signal, (tx) => this.codes.findActive(tx, id));
  }

  /**
   * Counts an attempt on an active code; call it when the exchange STARTS, so a peer that
   * drops the connection still spends a guess. The code burns at MAX_PIN_ATTEMPTS; the
   * attempt that burned it may still complete (see consumeCode). Returns the updated code.
   */
  recordAttempt(codeId: string, { signal }: SignalOption = {}): Promise<Readonly<UsablePairingCode>> {
    return this.writer.mutate(signal, (tx) => this.codes.recordAttempt(tx, codeId));
  }

  /**
   * Marks the code used after a successful exchange. Accepts an active code, or one burned by
   * attempts: no attempt starts on a burned code, so this is an exchange counted before the
   * burn (the last allowed guess) that proved the code.
   */
  consumeCode(codeId: string, { signal }: SignalOption = {}): Promise<Readonly<PairingCodeRecord>> {
    return this.writer.mutate(signal, (tx) => this.codes.consume(tx, codeId));
  }

  // ---------------------------------------------------------------- requests

  /**
   * Queues a request for approval. `repair` is set when the identity key belongs to a
   * registered node or a previously approved request. A pending request of the same device
   * is expired: the newer one replaces it.
   */
  addRequest(input: NewPairingRequest, { signal }: SignalOption = {}): Promise<Readonly<PairingRequestRecord>> {
    return this.writer.mutate(signal, (tx) =>
      addPairingRequest(tx, input, { nodes: this.nodes, requests: this.requests, requestTtlMs: this.requestTtlMs }),
    );
  }

  /** Pending requests, oldest first; stale ones are expired (and persisted) first. */
  async pendingRequests({ signal }: SignalOption = {}): Promise<Readonly<PairingRequestRecord>[]> {
    await this.expireRequests({ signal });
    return this.requests.pending();
  }

  /** Pending requests as stored now (no expiry pass: for synchronous checks such as CaRotation's). */
  pendingRequestsNow(): Readonly<PairingRequestRecord>[] {
    return this.requests.pending();
  }

  /** By exact requestId (any state), else the pending request of that deviceId. */
  findRequest(idOrDeviceId: string): Readonly<PairingRequestRecord> | undefined {
    return this.requests.table.get(idOrDeviceId) ?? this.requests.pendingOf(idOrDeviceId);
  }

  /**
   * The identity change `request` would be if approved now: its device id is registered under
   * another identity key. Undefined for a new device or a re-pair with the same key.
   */
  identityChangeOf(request: Pick<PairingRequestRecord, 'deviceId' | 'ed25519PublicKey'>): IdentityChange | undefined {
    return identityChangeOf(this.nodes.table.get(request.deviceId), request);
  }

  /**
   * Approves a pending request (`id`: requestId or deviceId): stores the certificate and
   * registers the node, or updates it for a re-pair of the same device, whose old
   * certificate is revoked. Rejects with PALYRA_E_REQUEST_NOT_FOUND unless pending, and with
   * PALYRA_E_IDENTITY_CHANGE (the request stays pending) when it would replace a registered
   * node's identity key and `replaceIdentity` is not set.
   */
  approve(
    id: string,
    certificate: IssuedCertificate,
    { signal, replaceIdentity = false }: ApproveOptions = {},
  ): Promise<Readonly<PairingRequestRecord>> {
    return this.writer.mutate(signal, (tx) =>
      approvePairingRequest(tx, { nodes: this.nodes, requests: this.requests }, id, certificate, replaceIdentity),
    );
  }

  /** Rejects a pending request (requestId or deviceId). */
  reject(id: string, { signal }: SignalOption = {}): Promise<Readonly<PairingRequestRecord>> {
    return this.writer.mutate(signal, (tx) => {
      const request = pendingRequest(tx, this.requests, id);
      if (request instanceof CommitThenThrow) return request;
      return decide(tx, request.requestId, 'rejected');
    });
  }

  /** Expires pending requests past their expiresAt; returns them. Cheap when there are none. */
  async expireRequests({ signal }: SignalOption = {}): Promise<readonly Readonly<PairingRequestRecord>[]> {
    const stale = (now: Date) => (r: Readonly<PairingRequestRecord>) => expired(r.expiresAt, now);
    if (!this.requests.pending().some(stale(this.now()))) return [];
    return this.writer.mutate(signal, (tx) =>
      this.requests
        .pending()
        .filter(stale(tx.now))
        .map((request) => decide(tx, request.requestId, 'expired')),
    );
  }

  /**
   * Expires pending requests at once, whatever their expiresAt: those of `requestIds`, or all
   * of them when omitted. For requests nobody waits on any more: the certificate can only
   * reach the node on the Pair stream that made the request, so once that stream is gone an
   * approval would register a node that can never connect. Returns the requests it expired;
   * requests already decided are left alone.
   */
  withdrawRequests(
    requestIds?: readonly string[],
    { signal, evenIfUnsaved = false }: WithdrawOptions = {},
  ): Promise<readonly Readonly<PairingRequestRecord>[]> {
    const wanted = requestIds === undefined ? undefined : new Set(requestIds);
    const matches = (r: Readonly<PairingRequestRecord>): boolean => wanted === undefined || wanted.has(r.requestId);
    if (!this.requests.pending().some(matches)) return Promise.resolve([]);
    return this.writer.mutate(
      signal,
      (tx) =>
        this.requests
          .pending()
          .filter(matches)
          .map((request) => decide(tx, request.requestId, 'expired')),
      { evenIfUnsaved, what: 'the pending pairing requests were withdrawn' },
    );
  }

  /**
   * Calls `listener` with the stored request after it was added, approved, rejected or
   * expired (and persisted). Returns the function that removes it.
   */
  onRequestChange(listener: RequestListener): () => void {
    return this.listeners.onRequestChange(listener);
  }

  /** Calls `listener` when a certificate is revoked (node removed or re-paired): close its connections. */
  onRevoked(listener: RevocationListener): () => void {
    return this.listeners.onRevoked(listener);
  }

  // ---------------------------------------------------------------- nodes

  listNodes(): Readonly<NodeRecord>[] {
    return [...this.nodes.table.values()].map((n) => this.nodes.withLastSeen(n));
  }

  getNode(deviceId: string): Readonly<NodeRecord> | undefined {
    const node = this.nodes.table.get(deviceId);
    return node === undefined ? undefined : this.nodes.withLastSeen(node);
  }

  /**
   * Updates what the node announces (RegisterNode). Writes nothing when nothing changed; then,
   * with no other mutation queued, it does not even queue: every node announces itself at
   * each connect, mostly unchanged.
   */
  updateNodeInfo(deviceId: string, info: NodeInfoUpdate, { signal }: SignalOption = {}): Promise<Readonly<NodeRecord>> {
    if (this.writer.idle) {
      try {
        throwIfAborted(signal);
        const node = this.nodes.table.get(deviceId) ?? findNode(undefined, deviceId);
        if (!nodeInfoChanges(node, info)) return Promise.resolve(this.nodes.withLastSeen(node));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return this.writer.mutate(signal, (tx) => {
      const node = findNode(tx, deviceId);
      const updated = nodeInfoChanges(node, info);
      if (updated === undefined) return this.nodes.withLastSeen(node);
      tx.nodes.put(updated);
      return this.nodes.withLastSeen(updated);
    });
  }

  /** Applies an operator's label change (LabelNode); writes nothing when nothing changes. */
  labelNode(deviceId: string, change: LabelChange, { signal }: SignalOption = {}): Promise<Readonly<NodeRecord>> {
    return this.writer.mutate(signal, (tx) => {
      const node = findNode(tx, deviceId);
      const updated = applyOperatorLabels(node, change);
      if (updated === undefined) return this.nodes.withLastSeen(node);
      tx.nodes.put(updated);
      return this.nodes.withLastSeen(updated);
    });
  }

  /**
   * Notes that the node was seen at `when`. Kept in memory and written (nodes.setLastSeen)
   * at most every lastSeenFlushMs, or on flush(). Unknown devices are ignored (a session of a
   * node just removed may still be closing).
   */
  touchLastSeen(deviceId: string, when: Date = this.now()): void {
    if (!this.nodes.touch(deviceId, when)) return;
    if (this.lastSeenTimer === undefined) {
      this.lastSeenTimer = setTimeout(() => {
        this.lastSeenTimer = undefined;
        this.flush().catch(this.onError);
      }, this.lastSeenFlushMs);
      this.lastSeenTimer.unref();
    }
  }

  /**
   * Writes pending lastSeen values and any row memory holds that the store does not (codes
   * ended by the restart, a removal whose write failed), after any mutation in progress.
   * Call it at start and on stop.
   */
  flush({ signal }: SignalOption = {}): Promise<void> {
    clearTimeout(this.lastSeenTimer);
    this.lastSeenTimer = undefined;
    return this.writer.mutate(signal, (tx) => {
      tx.flushLastSeen = true;
    });
  }

  /**
   * Unregisters the node and revokes its certificate. Returns the removed record. A removal
   * is enforced even when the store cannot record it (a full disk): the node is gone from
   * lookups, its certificate counts as revoked and the revocation listeners run at once; the
   * call then rejects with PALYRA_E_STATE_IO saying so (also reported to onError), and the
   * next successful write (flush() on stop at the latest) records it.
   */
  removeNode(deviceId: string, reason: string, { signal }: SignalOption = {}): Promise<Readonly<NodeRecord>> {
    return this.writer.mutate(
      signal,
      (tx) => {
        const node = findNode(tx, deviceId);
        tx.nodes.delete(deviceId);
        revokeAll(tx, node, reason);
        return this.nodes.withLastSeen(node);
      },
      { evenIfUnsaved: true, what: `node ${deviceId} was removed and its certificate revoked` },
    );
  }

  /**
   * Records the CAs a node says it trusts (RegisterNode, TrustAck): sorted, lowercase, at most
   * 8 (validation refuses more). Writes nothing when they did not change.
   */
  recordTrustedCas(deviceId: string, fingerprints: readonly string[], { signal }: SignalOption = {}): Promise<Readonly<NodeRecord>> {
    const trusted = normalizeTrustedCas(fingerprints);
    if (this.writer.idle) {
      const node = this.nodes.table.get(deviceId);
      if (node !== undefined && trustedCasUnchanged(node, trusted)) return Promise.resolve(this.nodes.withLastSeen(node));
    }
    return this.writer.mutate(signal, (tx) => {
      const node = findNode(tx, deviceId);
      if (trustedCasUnchanged(node, trusted)) return this.nodes.withLastSeen(node);
      const updated = withTrustedCas(node, trusted);
      tx.nodes.put(updated);
      return this.nodes.withLastSeen(updated);
    });
  }

  // ---------------------------------------------------------------- certificates

  /**
   * Deny-lists a node's certificates (current and previous) without unregistering it: a CA
   * rotation finished with --force cuts off nodes that still hold a certificate of the retired
   * CA. Their live connections close (revocation listeners); the node must pair again.
   */
  revokeCertificates(deviceId: string, reason: string, { signal }: SignalOption = {}): Promise<Readonly<NodeRecord>> {
    return this.writer.mutate(signal, (tx) => {
      const node = findNode(tx, deviceId);
      revokeAll(tx, node, reason);
      return this.nodes.withLastSeen(node);
    });
  }

  /** O(1); `fingerprint` is the SHA-256 of the certificate DER in hex. */
  isRevoked(fingerprint: string): boolean {
    return this.revoked.table.has(fingerprint.toLowerCase());
  }

  /**
   * Records a renewal (RenewCertificate), in one transaction: the issued certificate becomes
   * the node's current one, and the certificate the node proved it holds (`presentedFingerprint`)
   * its previous one, valid until the node presents the new one (confirmCertificate). When the
   * node renewed from its previous certificate, the current one it never presented is
   * deny-listed; an older previous is deny-listed too. Rejects with PALYRA_E_NODE_REVOKED for a
   * removed node or a revoked certificate, PALYRA_E_RENEWAL_REFUSED when the certificate is no
   * longer one of the node's (another renewal won the race).
   */
  async renewCertificate(
    deviceId: string,
    presentedFingerprint: string,
    certificate: RenewedCertificate,
    { signal, path }: RenewOptions,
  ): Promise<Readonly<CertificateRenewal>> {
    const presented = presentedFingerprint.toLowerCase();
    const renewal = await this.writer.mutate(signal, (tx) => recordRenewal(tx, this.nodes, deviceId, presented, certificate, path));
    this.listeners.renewed(renewal);
    return renewal;
  }

  /**
   * The node authenticated (RegisterNode) with `fingerprint`. When that is its current
   * certificate while a previous one is still recorded, the node has switched: the previous
   * certificate is deny-listed (its connections close) and forgotten. Returns whether it
   * changed anything. Cheap (no mutation queued) in the usual case of nothing to confirm.
   */
  async confirmCertificate(deviceId: string, fingerprint: string, { signal }: SignalOption = {}): Promise<boolean> {
    const fp = fingerprint.toLowerCase();
    if (!awaitsConfirmation(this.nodes.table.get(deviceId), fp)) return false;
    return this.writer.mutate(signal, (tx) => confirmRenewal(tx, deviceId, fp));
  }

  /** Calls `listener` after each renewal was recorded (e.g. to publish a `cert.renewed` event). */
  onCertificateRenewed(listener: RenewalListener): () => void {
    return this.listeners.onCertificateRenewed(listener);
  }

  /**
   * Drops deny-list entries whose certificate has expired: TLS and every lookup refuse such a
   * certificate anyway, so the list stays bounded by the certificates still valid. Except while
   * a registered node still holds the certificate (ca finish --force revokes a node's
   * certificates without unregistering it): the grace path renews from an expired certificate
   * of the node's, and only the deny list tells it that this one was cut off. Such entries go
   * once the node is removed or paired again (bounded by the nodes). Entries of
   * older releases, without expiresAt, stay. Costs nothing until the earliest entry expires.
   * Returns how many went.
   */
  async pruneRevocations({ signal }: SignalOption = {}): Promise<number> {
    if (!this.revoked.mayHaveExpired(this.now())) return 0;
    return this.writer.mutate(signal, (tx) => pruneExpiredRevocations(tx));
  }

  /** Deny-list entries held now. */
  get revocationCount(): number {
    return this.revoked.table.size;
  }

  /** O(1): the node whose current or previous certificate has this fingerprint (see heldCertificate). */
  nodeForFingerprint(fingerprint: string): Readonly<NodeRecord> | undefined {
    const node = this.nodes.byCertFingerprint(fingerprint.toLowerCase());
    return node === undefined ? undefined : this.nodes.withLastSeen(node);
  }
}
