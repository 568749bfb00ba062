import { PalyraError } from '@palyra/shared/errors';
import { assertDeviceId } from '@palyra/shared/ids';
import type { Store } from '../store/types.js';
import type {
  NodeRecord,
  PairingCodeRecord,
  PairingRequestRecord,
  RevokedCertRecord,
  UsablePairingCode,
} from './types.js';
import { identityChangeError, identityChangeOf, type IdentityChange } from './identityChange.js';
import { heldCertificate } from './heldCertificate.js';
import { expired, isoAfter, timeOf } from './utils.js';
import { deepFreeze, throwIfAborted } from '@palyra/plugin-sdk';
import { validateNode, validatePairingRequest } from './validation.js';
import { loadRegistryState, type RegistryRows } from './loadRegistryState.js';
import { PairingCodes } from './PairingCodes.js';
import { PairingRequests } from './PairingRequests.js';
import { RegisteredNodes } from './RegisteredNodes.js';
import { isEmpty, writeChanges, type RegistryChanges } from './RegistryChanges.js';
import { RowTable } from './RowTable.js';
import { CommitThenThrow, Transaction, type Tables } from './RegistryTransaction.js';
import { checked, invalid } from './errors.js';
import type { NewPairingCode } from './PairingCodes.js';
import { SerialQueue } from '../store/SerialQueue.js';
import type { LabelChange } from '@palyra/shared/labels';
import { applyOperatorLabels } from './operatorLabels.js';

export type { NewPairingCode } from './PairingCodes.js';

export interface NodeRegistryOptions {
  /** Clock; inject one in tests. */
  now?: () => Date;
  /** A code without `expiresAt`/`ttlMs` lives this long. Default 10 min. */
  codeTtlMs?: number;
  /** A request without `expiresAt`/`ttlMs` waits this long for a decision. Default 15 min. */
  requestTtlMs?: number;
  /** lastSeen updates are written at most this often (and on flush). Default 5 s. */
  lastSeenFlushMs?: number;
  /** Decided requests and spent codes are kept this long... Default 7 days. */
  retentionMs?: number;
  /** ...and at most this many of each. Default 1000. */
  maxRetained?: number;
  /** Errors nobody awaits: a background lastSeen write, a throwing listener. Default: a process warning. */
  onError?: (error: unknown) => void;
}

export interface SignalOption {
  signal?: AbortSignal;
}

export interface WithdrawOptions extends SignalOption {
  /**
   * Withdraw in memory even when the store cannot record it (the error is still thrown): for
   * requests left pending by a previous run, which must never be approved (see Daemon).
   */
  evenIfUnsaved?: boolean;
}

export interface ApproveOptions extends SignalOption {
  /**
   * The operator knows the request is an identity change (identityChangeOf) and wants the
   * registered node replaced. Without it, approving one fails with PALYRA_E_IDENTITY_CHANGE.
   */
  replaceIdentity?: boolean;
}

/** A new request. The registry computes `repair` and sets `state` to 'pending_approval'. */
export type NewPairingRequest = Omit<
  PairingRequestRecord,
  'repair' | 'requestedAt' | 'expiresAt' | 'state' | 'decidedAt' | 'certificate'
> & {
  /** Default: now. */
  requestedAt?: string;
  /** Default: requestedAt + ttlMs. */
  expiresAt?: string;
  ttlMs?: number;
  /** Ignored: the registry decides. */
  repair?: boolean;
  state?: 'pending_approval';
};

export interface IssuedCertificate {
  /** base64 DER */
  certDer: string;
  /** SHA-256 of the DER, hex. */
  fingerprint: string;
  notAfter: string | Date;
  /** SHA-256 (hex) of the CA certificate that issued it (recorded as the node's certCaFingerprint). */
  caFingerprint?: string;
  /**
   * When it was issued (not the back-dated notBefore): the start of the lifetime that
   * certificate states and the agent's schedule measure. Default: when the registry records it.
   */
  issuedAt?: string | Date;
}

export interface NodeInfoUpdate {
  platform: string;
  hostname: string;
  agentVersion: string;
  capabilities: string[];
  name?: string;
  /** The node's own labels (already validated); absent: unchanged. */
  labels?: Record<string, string>;
}

export type RequestListener = (request: Readonly<PairingRequestRecord>) => void;
export type RevocationListener = (record: Readonly<RevokedCertRecord>) => void;

/** A certificate issued by a renewal (RenewCertificate). */
export interface RenewedCertificate extends IssuedCertificate {
  /** notBefore of the new certificate. */
  issuedAt: string | Date;
  /** SHA-256 of the CA certificate that signed it. */
  caFingerprint?: string;
}

/** What renewCertificate recorded; also what onCertificateRenewed listeners receive. */
export interface CertificateRenewal {
  deviceId: string;
  /** How the node authenticated: its client certificate, or (expired) its identity key within the grace. */
  path: 'mtls' | 'grace';
  /** The certificate the node proved it holds (kept as `previous` until the node presents the new one). */
  presentedFingerprint: string;
  certFingerprint: string;
  certIssuedAt: string;
  certExpiresAt: string;
  renewedAt: string;
  /** Fingerprints this renewal deny-listed (an older previous, or a current one never presented). */
  revokedFingerprints: string[];
}
export type RenewalListener = (renewal: Readonly<CertificateRenewal>) => void;

export interface RenewOptions extends SignalOption {
  path: 'mtls' | 'grace';
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Rows memory holds but the store may not (a write that failed yet had to take effect), by table. */
interface Unsaved {
  codes: Set<string>;
  requests: Set<string>;
  nodes: Set<string>;
  revoked: Set<string>;
}

/**
 * The daemon's pairing codes, pairing requests, registered nodes and revoked certificates:
 * in memory, indexed, over the store's repositories. Mutations run one at a time; each writes
 * only the rows it changed, in one store transaction, and takes effect (in memory, for
 * readers, for listeners) only once that committed: a failed write changes nothing, except
 * for a node removal (see removeNode). Reads are synchronous; the per-RPC ones are O(1).
 */
export class NodeRegistry {
  private readonly now: () => Date;
  private readonly codeTtlMs: number;
  private readonly requestTtlMs: number;
  private readonly lastSeenFlushMs: number;
  private readonly retentionMs: number;
  private readonly maxRetained: number;
  private readonly onError: (error: unknown) => void;

  private readonly codes = new PairingCodes();
  private readonly requests = new PairingRequests();
  private readonly nodes = new RegisteredNodes();
  private readonly revoked = new RowTable<RevokedCertRecord>((record) => record.fingerprint);
  private readonly unsaved: Unsaved = { codes: new Set(), requests: new Set(), nodes: new Set(), revoked: new Set() };
  private lastSeenTimer: NodeJS.Timeout | undefined;
  private readonly queue = new SerialQueue();
  /** Mutations queued or running: while there are any, the committed state may be about to change. */
  private pendingMutations = 0;
  private readonly requestListeners = new Set<{ listener: RequestListener }>();
  private readonly revocationListeners = new Set<{ listener: RevocationListener }>();
  private readonly renewalListeners = new Set<{ listener: RenewalListener }>();
  /**
   * The earliest expiresAt of a deny-list entry (ms), so that the periodic prune costs nothing
   * until an entry can actually go; Infinity when no entry carries one.
   */
  private nextRevocationExpiry = Number.POSITIVE_INFINITY;

  /**
   * Loads the registry from the store (once; every row validated: PALYRA_E_STATE_CORRUPT
   * names a bad one). Codes the store says are active are ended in memory at once (their
   * derivations died with the previous run); flush() writes that.
   */
  static async open(store: Store, options: NodeRegistryOptions & SignalOption = {}): Promise<NodeRegistry> {
    const rows = await loadRegistryState(store, { signal: options.signal });
    return new NodeRegistry(store, rows, options);
  }

  private constructor(
    private readonly store: Store,
    rows: RegistryRows,
    options: NodeRegistryOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.codeTtlMs = options.codeTtlMs ?? 10 * MINUTE;
    this.requestTtlMs = options.requestTtlMs ?? 15 * MINUTE;
    this.lastSeenFlushMs = options.lastSeenFlushMs ?? 5_000;
    this.retentionMs = options.retentionMs ?? 7 * DAY;
    this.maxRetained = options.maxRetained ?? 1000;
    this.onError =
      options.onError ??
      ((error) => process.emitWarning(`node registry: ${error instanceof Error ? error.message : String(error)}`));
    for (const id of this.codes.load(rows.codes, this.now())) this.unsaved.codes.add(id);
    this.requests.table.apply(new Map(rows.requests.map((r) => [r.requestId, r])));
    this.nodes.table.apply(new Map(rows.nodes.map((n) => [n.deviceId, n])));
    this.revoked.apply(new Map(rows.revoked.map((r) => [r.fingerprint, r])));
    this.nextRevocationExpiry = earliestExpiry(this.revoked.values());
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
    return this.mutate(signal, (tx) => this.codes.add(tx, input, this.codeTtlMs));
  }

  /**
   * The active PIN code. Rejects with PALYRA_E_PAIRING_CODE_EXPIRED, _BURNED or _USED after
   * the latest PIN's fate, or PALYRA_E_PAIRING_NO_CODE; an active code found expired is
   * marked so (persisted) first.
   */
  activePinCode({ signal }: SignalOption = {}): Promise<Readonly<UsablePairingCode>> {
    return this.mutate(signal, (tx) => this.codes.activePin(tx));
  }

  /**
   * The PIN code `id` for an exchange a node asked for by id: the active PIN, or a superseded
   * one that is still a candidate (supersededPinCandidates). Attempts count against that code
   * only. Otherwise the error for its state ("replaced by a newer one" for a superseded PIN).
   */
  pinCodeForExchange(id: string, { signal }: SignalOption = {}): Promise<Readonly<UsablePairingCode>> {
    return this.mutate(signal, (tx) => this.codes.forExchange(tx, id));
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
    return this.mutate(signal, (tx) => this.codes.findActive(tx, id));
  }

  /**
   * Counts an attempt on an active code; call it when the exchange STARTS, so a peer that
   * drops the connection still spends a guess. The code burns at MAX_PIN_ATTEMPTS; the
   * attempt that burned it may still complete (see consumeCode). Returns the updated code.
   */
  recordAttempt(codeId: string, { signal }: SignalOption = {}): Promise<Readonly<UsablePairingCode>> {
    return this.mutate(signal, (tx) => this.codes.recordAttempt(tx, codeId));
  }

  /**
   * Marks the code used after a successful exchange. Accepts an active code, or one burned by
   * attempts: no attempt starts on a burned code, so this is an exchange counted before the
   * burn (the last allowed guess) that proved the code.
   */
  consumeCode(codeId: string, { signal }: SignalOption = {}): Promise<Readonly<PairingCodeRecord>> {
    return this.mutate(signal, (tx) => this.codes.consume(tx, codeId));
  }

  // ---------------------------------------------------------------- requests

  /**
   * Queues a request for approval. `repair` is set when the identity key belongs to a
   * registered node or a previously approved request. A pending request of the same device
   * is expired: the newer one replaces it.
   */
  addRequest(input: NewPairingRequest, { signal }: SignalOption = {}): Promise<Readonly<PairingRequestRecord>> {
    return this.mutate(signal, (tx) => {
      const requestedAt = input.requestedAt ?? tx.now.toISOString();
      const key = input.ed25519PublicKey;
      const request = checked('pairing request', () =>
        validatePairingRequest(
          {
            requestId: input.requestId,
            deviceId: input.deviceId,
            codeId: input.codeId,
            method: input.method,
            name: input.name,
            platform: input.platform,
            hostname: input.hostname,
            agentVersion: input.agentVersion,
            capabilities: [...input.capabilities],
            remoteAddress: input.remoteAddress,
            ed25519PublicKey: key,
            x25519PublicKey: input.x25519PublicKey,
            csr: input.csr,
            sas: input.sas,
            // Indexes of the committed rows: this mutation changed none yet.
            repair: this.nodes.hasKey(key) || this.requests.wasApproved(key),
            requestedAt,
            expiresAt: input.expiresAt ?? isoAfter(new Date(requestedAt), input.ttlMs ?? this.requestTtlMs),
            state: 'pending_approval',
          },
          'request',
        ),
      );
      if ((input.state ?? 'pending_approval') !== 'pending_approval') throw invalid('a new request must be pending_approval');
      if (expired(request.expiresAt, tx.now)) throw invalid(`request expiresAt ${request.expiresAt} is not in the future`);
      if (tx.requests.get(request.requestId) !== undefined) {
        throw invalid(`a pairing request with id ${request.requestId} exists already`);
      }
      const older = this.requests.pendingOf(request.deviceId);
      if (older !== undefined) decide(tx, older.requestId, 'expired');
      tx.requests.put(request);
      return request;
    });
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
    return this.mutate(signal, (tx) => {
      const request = this.pendingRequest(tx, id);
      if (request instanceof CommitThenThrow) return request;
      const fingerprint = certificate.fingerprint.toLowerCase();
      const notAfter = certificate.notAfter instanceof Date ? certificate.notAfter.toISOString() : certificate.notAfter;
      const existing = tx.nodes.get(request.deviceId);
      // Checked here, in the same transaction that would register the node: whatever a caller
      // looked at before, the registry never swaps an identity key unless told to.
      const change = identityChangeOf(existing, request);
      if (change !== undefined && !replaceIdentity) throw identityChangeError(request, change);
      const node = checked('certificate', () =>
        validateNode(
          {
            deviceId: request.deviceId,
            name: request.name,
            platform: request.platform,
            hostname: request.hostname,
            agentVersion: request.agentVersion,
            capabilities: [...request.capabilities],
            labels: existing?.labels ?? {},
            // An operator's labels belong to the device: a re-pair keeps them.
            ...(existing?.operatorLabels === undefined ? {} : { operatorLabels: existing.operatorLabels }),
            ed25519PublicKey: request.ed25519PublicKey,
            x25519PublicKey: request.x25519PublicKey,
            certFingerprint: fingerprint,
            certExpiresAt: notAfter,
            // Without it a 24-hour certificate would be measured against the 30 days assumed for
            // records older than renewal, and look expiring from the start.
            certIssuedAt: isoOf(certificate.issuedAt ?? tx.now),
            pairedAt: tx.now.toISOString(),
            lastSeen: existing?.lastSeen ?? null,
            ...(certificate.caFingerprint === undefined ? {} : { certCaFingerprint: certificate.caFingerprint.toLowerCase() }),
          },
          'node',
        ),
      );
      if (tx.revoked.get(fingerprint) !== undefined) throw invalid(`certificate ${fingerprint} is revoked`);
      const holder = this.nodes.byCertFingerprint(fingerprint);
      if (holder !== undefined && holder.deviceId !== request.deviceId) throw invalid(`certificate ${fingerprint} belongs to another node`);
      const approved = checked('certificate', () =>
        validatePairingRequest({ ...request, state: 'approved', decidedAt: tx.now.toISOString(), certificate: certificate.certDer }, 'request'),
      );
      tx.requests.put(approved);
      if (existing !== undefined && existing.certFingerprint !== fingerprint) {
        revokeAll(tx, existing, change === undefined ? 'replaced by a new pairing' : 'replaced by a new identity key (--replace-identity)');
      }
      tx.nodes.put(node);
      return approved;
    });
  }

  /** Rejects a pending request (requestId or deviceId). */
  reject(id: string, { signal }: SignalOption = {}): Promise<Readonly<PairingRequestRecord>> {
    return this.mutate(signal, (tx) => {
      const request = this.pendingRequest(tx, id);
      if (request instanceof CommitThenThrow) return request;
      return decide(tx, request.requestId, 'rejected');
    });
  }

  /** Expires pending requests past their expiresAt; returns them. Cheap when there are none. */
  async expireRequests({ signal }: SignalOption = {}): Promise<readonly Readonly<PairingRequestRecord>[]> {
    const stale = (now: Date) => (r: Readonly<PairingRequestRecord>) => expired(r.expiresAt, now);
    if (!this.requests.pending().some(stale(this.now()))) return [];
    return this.mutate(signal, (tx) =>
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
    return this.mutate(
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
    const entry = { listener };
    this.requestListeners.add(entry);
    return () => {
      this.requestListeners.delete(entry);
    };
  }

  /** Calls `listener` when a certificate is revoked (node removed or re-paired): close its connections. */
  onRevoked(listener: RevocationListener): () => void {
    const entry = { listener };
    this.revocationListeners.add(entry);
    return () => {
      this.revocationListeners.delete(entry);
    };
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
    if (this.pendingMutations === 0) {
      try {
        throwIfAborted(signal);
        const node = this.nodes.table.get(deviceId) ?? findNode(undefined, deviceId);
        if (!nodeInfoChanges(node, info)) return Promise.resolve(this.nodes.withLastSeen(node));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return this.mutate(signal, (tx) => {
      const node = findNode(tx, deviceId);
      const updated = nodeInfoChanges(node, info);
      if (updated === undefined) return this.nodes.withLastSeen(node);
      tx.nodes.put(updated);
      return this.nodes.withLastSeen(updated);
    });
  }

  /** Applies an operator's label change (LabelNode); writes nothing when nothing changes. */
  labelNode(deviceId: string, change: LabelChange, { signal }: SignalOption = {}): Promise<Readonly<NodeRecord>> {
    return this.mutate(signal, (tx) => {
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
    return this.mutate(signal, (tx) => {
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
    return this.mutate(
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
    const trusted = [...new Set(fingerprints.map((fp) => fp.toLowerCase()))].sort();
    const unchanged = (node: Readonly<NodeRecord>): boolean => JSON.stringify(node.trustedCaFingerprints ?? null) === JSON.stringify(trusted);
    if (this.pendingMutations === 0) {
      const node = this.nodes.table.get(deviceId);
      if (node !== undefined && unchanged(node)) return Promise.resolve(this.nodes.withLastSeen(node));
    }
    return this.mutate(signal, (tx) => {
      const node = findNode(tx, deviceId);
      if (unchanged(node)) return this.nodes.withLastSeen(node);
      const updated = checked('trusted CAs', () => validateNode({ ...node, trustedCaFingerprints: trusted }, 'node'));
      tx.nodes.put(updated);
      return this.nodes.withLastSeen(updated);
    });
  }

  /**
   * Deny-lists a node's certificates (current and previous) without unregistering it: a CA
   * rotation finished with --force cuts off nodes that still hold a certificate of the retired
   * CA. Their live connections close (revocation listeners); the node must pair again.
   */
  revokeCertificates(deviceId: string, reason: string, { signal }: SignalOption = {}): Promise<Readonly<NodeRecord>> {
    return this.mutate(signal, (tx) => {
      const node = findNode(tx, deviceId);
      revokeAll(tx, node, reason);
      return this.nodes.withLastSeen(node);
    });
  }

  /** O(1); `fingerprint` is the SHA-256 of the certificate DER in hex. */
  isRevoked(fingerprint: string): boolean {
    return this.revoked.has(fingerprint.toLowerCase());
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
    const renewal = await this.mutate(signal, (tx): CertificateRenewal => {
      if (tx.revoked.get(presented) !== undefined) {
        throw new PalyraError('PALYRA_E_NODE_REVOKED', 'this node certificate was revoked (the node was removed or paired again): pair it again with palyra-node join');
      }
      const node = tx.nodes.get(deviceId);
      if (node === undefined) {
        throw new PalyraError('PALYRA_E_NODE_REVOKED', `node ${deviceId} is not registered (it was removed): pair it again with palyra-node join`);
      }
      const held = heldCertificate(node, presented);
      if (held === undefined) {
        throw new PalyraError('PALYRA_E_RENEWAL_REFUSED', `certificate ${presented.slice(0, 16)}… is not one of node ${deviceId}'s certificates`);
      }
      const fingerprint = certificate.fingerprint.toLowerCase();
      if (tx.revoked.get(fingerprint) !== undefined || (this.nodes.byCertFingerprint(fingerprint) ?? node).deviceId !== deviceId) {
        throw invalid(`certificate ${fingerprint} is revoked or belongs to another node`);
      }
      const revokedFingerprints: string[] = [];
      const deny = (fp: string, expiresAt: string, reason: string): void => {
        if (fp === fingerprint) return;
        revokeFingerprint(tx, { fingerprint: fp, deviceId, expiresAt }, reason);
        revokedFingerprints.push(fp);
      };
      if (held.role === 'previous') deny(node.certFingerprint, node.certExpiresAt, 'superseded by a renewal before the node presented it');
      else if (node.previousCertFingerprint !== undefined && node.previousCertExpiresAt !== undefined) {
        deny(node.previousCertFingerprint, node.previousCertExpiresAt, 'superseded by a second renewal');
      }
      const renewedAt = tx.now.toISOString();
      // The CA of the certificate kept as previous (ca finish must not retire it while the node may still run on it).
      const heldCa = held.role === 'previous' ? node.previousCertCaFingerprint : node.certCaFingerprint;
      const base: NodeRecord = { ...node };
      delete base.previousCertCaFingerprint;
      const updated = checked('renewed certificate', () =>
        validateNode(
          {
            ...base,
            ...(heldCa === undefined ? {} : { previousCertCaFingerprint: heldCa }),
            certFingerprint: fingerprint,
            certExpiresAt: isoOf(certificate.notAfter),
            certIssuedAt: isoOf(certificate.issuedAt),
            ...(certificate.caFingerprint === undefined ? {} : { certCaFingerprint: certificate.caFingerprint }),
            previousCertFingerprint: held.fingerprint,
            previousCertExpiresAt: held.expiresAt,
            lastRenewedAt: renewedAt,
          },
          'node',
        ),
      );
      tx.nodes.put(updated);
      return {
        deviceId,
        path,
        presentedFingerprint: presented,
        certFingerprint: updated.certFingerprint,
        certIssuedAt: updated.certIssuedAt ?? renewedAt,
        certExpiresAt: updated.certExpiresAt,
        renewedAt,
        revokedFingerprints,
      };
    });
    for (const { listener } of [...this.renewalListeners]) this.call(() => listener(renewal));
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
    const pending = (node: Readonly<NodeRecord> | undefined): node is Readonly<NodeRecord> =>
      node !== undefined && node.certFingerprint === fp && node.previousCertFingerprint !== undefined;
    if (!pending(this.nodes.table.get(deviceId))) return false;
    return this.mutate(signal, (tx) => {
      const node = tx.nodes.get(deviceId);
      if (!pending(node) || node.previousCertFingerprint === undefined || node.previousCertExpiresAt === undefined) return false;
      revokeFingerprint(tx, { fingerprint: node.previousCertFingerprint, deviceId, expiresAt: node.previousCertExpiresAt }, 'superseded by a renewal the node has presented');
      const confirmed: NodeRecord = { ...node };
      delete confirmed.previousCertFingerprint;
      delete confirmed.previousCertExpiresAt;
      delete confirmed.previousCertCaFingerprint;
      tx.nodes.put(confirmed);
      return true;
    });
  }

  /** Calls `listener` after each renewal was recorded (e.g. to publish a `cert.renewed` event). */
  onCertificateRenewed(listener: RenewalListener): () => void {
    const entry = { listener };
    this.renewalListeners.add(entry);
    return () => {
      this.renewalListeners.delete(entry);
    };
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
    if (this.now().getTime() < this.nextRevocationExpiry) return 0;
    return this.mutate(signal, (tx) => {
      let pruned = 0;
      for (const record of tx.revoked.values()) {
        if (record.expiresAt !== undefined && expired(record.expiresAt, tx.now) && !stillHeld(tx, record)) {
          tx.revoked.delete(record.fingerprint);
          pruned += 1;
        }
      }
      return pruned;
    });
  }

  /** Deny-list entries held now. */
  get revocationCount(): number {
    return this.revoked.size;
  }

  /** O(1): the node whose current or previous certificate has this fingerprint (see heldCertificate). */
  nodeForFingerprint(fingerprint: string): Readonly<NodeRecord> | undefined {
    const node = this.nodes.byCertFingerprint(fingerprint.toLowerCase());
    return node === undefined ? undefined : this.nodes.withLastSeen(node);
  }

  // ---------------------------------------------------------------- internals

  /**
   * Runs `body` after every earlier mutation, on a Transaction; writes the rows it changed
   * (pruned, with the rows memory holds unsaved) in one store transaction, and only then makes
   * them current and tells listeners. A throw discards the changes; CommitThenThrow writes,
   * then throws. With `evenIfUnsaved`, a failed write still takes effect in memory (the rows
   * stay marked unsaved) and the call rejects with PALYRA_E_STATE_IO saying `what` happened.
   */
  private mutate<T>(
    signal: AbortSignal | undefined,
    body: (tx: Transaction) => T | CommitThenThrow,
    { evenIfUnsaved = false, what = '' }: { evenIfUnsaved?: boolean; what?: string } = {},
  ): Promise<T> {
    const run = async (): Promise<T> => {
      throwIfAborted(signal);
      const tx = new Transaction(this.tables(), this.now());
      const outcome = body(tx);
      const changes = this.changesOf(tx);
      // flush() writes the unsaved rows even when nothing else changed.
      const written = isEmpty(changes) && !tx.flushLastSeen ? changes : this.withUnsaved(changes);
      if (!isEmpty(written)) {
        try {
          await this.store.transaction((repos) => writeChanges(repos, written), { signal });
        } catch (error) {
          if (!evenIfUnsaved || (error instanceof PalyraError && error.code === 'PALYRA_E_CANCELLED')) throw error;
          this.markUnsaved(changes);
          this.commit(changes, tx.now);
          const failure = new PalyraError(
            'PALYRA_E_STATE_IO',
            `${what} in memory, but the state store could not record it (${error instanceof Error ? error.message : String(error)}): it is enforced until the daemon stops, and written at the next successful write; free disk space now, or it is undone by a restart`,
            { cause: error },
          );
          this.onError(failure);
          throw failure;
        }
        this.clearUnsaved();
        this.commit(changes, tx.now);
      }
      if (outcome instanceof CommitThenThrow) throw outcome.error;
      return deepFreeze(outcome);
    };
    this.pendingMutations += 1;
    return this.queue.run(run).finally(() => {
      this.pendingMutations -= 1;
    });
  }

  private tables(): Tables {
    return { codes: this.codes.table, requests: this.requests.table, nodes: this.nodes.table, revoked: this.revoked };
  }

  /** The rows `tx` changed, pruned, with newer lastSeen values folded into node rows written anyway. */
  private changesOf(tx: Transaction): RegistryChanges {
    const cutoff = tx.now.getTime() - this.retentionMs;
    // Pruning runs with a change of its table: its cost is that of the retained rows (at most
    // maxRetained spent ones), whatever the number of nodes.
    if (tx.codes.changed().size > 0) this.codes.prune(tx.codes, cutoff, this.maxRetained);
    if (tx.requests.changed().size > 0) this.requests.prune(tx.requests, cutoff, this.maxRetained);
    const nodes = tx.nodes.changed();
    for (const node of nodes.values()) {
      const seen = node === undefined ? undefined : this.nodes.pendingLastSeen(node.deviceId);
      if (node !== undefined && seen !== undefined && (node.lastSeen === null || timeOf(seen) > timeOf(node.lastSeen))) node.lastSeen = seen;
    }
    return {
      codes: tx.codes.changed(),
      requests: tx.requests.changed(),
      nodes,
      revoked: tx.revoked.changed(),
      lastSeen: tx.flushLastSeen ? this.nodes.unwrittenLastSeen() : [],
    };
  }

  /** `changes` plus the current state of the rows memory holds unsaved (flush() writes only those). */
  private withUnsaved(changes: RegistryChanges): RegistryChanges {
    const merge = <R>(changed: ReadonlyMap<string, R | undefined>, keys: Set<string>, current: (key: string) => R | undefined) => {
      if (keys.size === 0) return changed;
      const merged = new Map(changed);
      for (const key of keys) if (!merged.has(key)) merged.set(key, current(key));
      return merged;
    };
    return {
      codes: merge(changes.codes, this.unsaved.codes, (k) => this.codes.table.get(k)),
      requests: merge(changes.requests, this.unsaved.requests, (k) => this.requests.table.get(k)),
      nodes: merge(changes.nodes, this.unsaved.nodes, (k) => this.nodes.table.get(k)),
      revoked: merge(changes.revoked, this.unsaved.revoked, (k) => this.revoked.get(k)),
      lastSeen: changes.lastSeen,
    };
  }

  private markUnsaved(changes: RegistryChanges): void {
    for (const key of changes.codes.keys()) this.unsaved.codes.add(key);
    for (const key of changes.requests.keys()) this.unsaved.requests.add(key);
    for (const key of changes.nodes.keys()) this.unsaved.nodes.add(key);
    for (const key of changes.revoked.keys()) this.unsaved.revoked.add(key);
  }

  private clearUnsaved(): void {
    for (const keys of Object.values(this.unsaved)) keys.clear();
  }

  /** Makes committed `changes` current, then tells the listeners. */
  private commit(changes: RegistryChanges, now: Date): void {
    this.codes.table.apply(changes.codes);
    if (changes.codes.size > 0) this.codes.forgetSpent(now);
    this.requests.table.apply(changes.requests);
    this.nodes.table.apply(changes.nodes);
    for (const [deviceId, node] of changes.nodes) {
      if (node === undefined) this.nodes.forgetLastSeen(deviceId);
      else if (node.lastSeen !== null) this.nodes.lastSeenWritten([{ deviceId, lastSeen: node.lastSeen }]);
    }
    this.nodes.lastSeenWritten(changes.lastSeen);
    this.revoked.apply(changes.revoked);
    // An added entry can only bring the earliest expiry forward (O(1) per revocation); only a
    // prune, which removes entries, rescans (it scanned them all anyway).
    let pruned = false;
    for (const record of changes.revoked.values()) {
      if (record === undefined) pruned = true;
      else if (record.expiresAt !== undefined) this.nextRevocationExpiry = Math.min(this.nextRevocationExpiry, timeOf(record.expiresAt));
    }
    if (pruned) this.nextRevocationExpiry = earliestExpiry(this.revoked.values());
    for (const [id, request] of changes.requests) {
      const current = this.requests.table.get(id);
      if (request === undefined || current === undefined) continue;
      for (const { listener } of [...this.requestListeners]) this.call(() => listener(current));
    }
    for (const fingerprint of changes.revoked.keys()) {
      const record = this.revoked.get(fingerprint);
      if (record === undefined) continue;
      for (const { listener } of [...this.revocationListeners]) this.call(() => listener(record));
    }
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.onError(error);
    }
  }

  /** The pending request `id` names (edited in `tx`), or the error to raise (an expiry flip is committed first). */
  private pendingRequest(tx: Transaction, id: string): PairingRequestRecord | CommitThenThrow {
    const found = tx.requests.get(id) ?? this.requests.pendingOf(id);
    if (found === undefined) {
      throw new PalyraError(
        'PALYRA_E_REQUEST_NOT_FOUND',
        `no pending pairing request matches "${id}": list them with palyrad nodes pending`,
      );
    }
    const request = tx.requests.edit(found.requestId) as PairingRequestRecord;
    if (request.state === 'pending_approval' && expired(request.expiresAt, tx.now)) {
      decide(tx, request.requestId, 'expired');
      return new CommitThenThrow(
        new PalyraError(
          'PALYRA_E_REQUEST_NOT_FOUND',
          `pairing request ${request.requestId} expired at ${request.expiresAt} before a decision: the node must pair again`,
        ),
      );
    }
    if (request.state !== 'pending_approval') {
      throw new PalyraError(
        'PALYRA_E_REQUEST_NOT_FOUND',
        `pairing request ${request.requestId} is no longer pending: it was ${request.state} at ${request.decidedAt ?? '?'}`,
      );
    }
    return request;
  }
}

/** Decides the request `requestId` in `tx`; returns the decided record. */
function decide(tx: Transaction, requestId: string, state: 'rejected' | 'expired'): PairingRequestRecord {
  const request = tx.requests.edit(requestId) as PairingRequestRecord;
  request.state = state;
  request.decidedAt = tx.now.toISOString();
  return request;
}

/** Deny-lists every certificate of `node`: its current one and a previous one not yet confirmed. */
/** A registered node still holds the revoked certificate (as current or previous). */
function stillHeld(tx: Transaction, record: Readonly<RevokedCertRecord>): boolean {
  const node = tx.nodes.get(record.deviceId);
  return node !== undefined && heldCertificate(node, record.fingerprint) !== undefined;
}

function revokeAll(tx: Transaction, node: Readonly<NodeRecord>, reason: string): void {
  revokeFingerprint(tx, { fingerprint: node.certFingerprint, deviceId: node.deviceId, expiresAt: node.certExpiresAt }, reason);
  if (node.previousCertFingerprint !== undefined && node.previousCertExpiresAt !== undefined) {
    revokeFingerprint(tx, { fingerprint: node.previousCertFingerprint, deviceId: node.deviceId, expiresAt: node.previousCertExpiresAt }, reason);
  }
}

function revokeFingerprint(tx: Transaction, cert: { fingerprint: string; deviceId: string; expiresAt: string }, reason: string): void {
  if (tx.revoked.get(cert.fingerprint) !== undefined) return;
  tx.revoked.put({ fingerprint: cert.fingerprint, deviceId: cert.deviceId, revokedAt: tx.now.toISOString(), reason, expiresAt: cert.expiresAt });
}

/** The earliest expiresAt (ms) among deny-list entries; Infinity when none carries one. */
function earliestExpiry(records: Iterable<Readonly<RevokedCertRecord>>): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const record of records) if (record.expiresAt !== undefined) earliest = Math.min(earliest, timeOf(record.expiresAt));
  return earliest;
}

function isoOf(value: string | Date): string {
  return value instanceof Date ? value.toISOString() : value;
}

/** The node record with `info` applied (validated), or undefined when it changes nothing. */
function nodeInfoChanges(node: Readonly<NodeRecord>, info: NodeInfoUpdate): NodeRecord | undefined {
  const updated = checked('node info', () =>
    validateNode(
      {
        ...node,
        name: info.name ?? node.name,
        platform: info.platform,
        hostname: info.hostname,
        agentVersion: info.agentVersion,
        capabilities: [...info.capabilities],
        labels: info.labels === undefined ? node.labels : { ...info.labels },
      },
      'node',
    ),
  );
  return JSON.stringify(updated) === JSON.stringify(node) ? undefined : updated;
}

/** The node `deviceId` as `tx` sees it (committed, without one). */
function findNode(tx: Transaction | undefined, deviceId: string): Readonly<NodeRecord> {
  const node = tx === undefined ? undefined : tx.nodes.get(deviceId);
  if (node === undefined) {
    // Device ids have one spelling (canonical upper case): a lower-case one is refused, as everywhere.
    assertDeviceId(deviceId);
    throw new PalyraError('PALYRA_E_NODE_NOT_FOUND', `no registered node ${deviceId}: list them with palyrad nodes list`);
  }
  return node;
}

