import { PalyraError } from '@palyra/shared/errors';
import { assertDeviceId } from '@palyra/shared/ids';
import type { RuntimeStateStore } from './RuntimeStateStore.js';
import {
  MAX_PIN_ATTEMPTS,
  MAX_SUPERSEDED_PIN_CANDIDATES,
  type NodeRecord,
  type PairingCodeDerivation,
  type PairingCodeRecord,
  type PairingRequestRecord,
  type RevokedCertRecord,
  type RuntimeState,
  type UsablePairingCode,
} from './types.js';
import { identityChangeError, identityChangeOf, type IdentityChange } from './identityChange.js';
import { isoAfter, timeOf } from './utils.js';
import { deepFreeze, throwIfAborted } from '@palyra/plugin-sdk';
import {
  StateValidationError,
  validateCodeDerivation,
  validateNode,
  validatePairingCode,
  validatePairingRequest,
} from './validation.js';

/** What the registry needs of its store (a RuntimeStateStore; tests may pass a fake). */
export type RegistryStore = Pick<RuntimeStateStore, 'snapshot' | 'save'>;

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

export interface ApproveOptions extends SignalOption {
  /**
   * The operator knows the request is an identity change (identityChangeOf) and wants the
   * registered node replaced. Without it, approving one fails with PALYRA_E_IDENTITY_CHANGE.
   */
  replaceIdentity?: boolean;
}

/**
 * A new code, with its derivation (kept in memory only). The registry sets `attempts` to 0
 * and `state` to 'active'.
 */
export type NewPairingCode = Omit<PairingCodeRecord, 'createdAt' | 'expiresAt' | 'attempts' | 'state'> &
  PairingCodeDerivation & {
  /** Default: now. */
  createdAt?: string;
  /** Default: createdAt + ttlMs. */
  expiresAt?: string;
  ttlMs?: number;
  attempts?: 0;
  state?: 'active';
};

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
}

export interface NodeInfoUpdate {
  platform: string;
  hostname: string;
  agentVersion: string;
  capabilities: string[];
  name?: string;
}

export type RequestListener = (request: Readonly<PairingRequestRecord>) => void;
export type RevocationListener = (record: Readonly<RevokedCertRecord>) => void;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const MINT_HINT = 'ask the operator for a new one (palyrad pairing code --method pin)';

/** A mutation's outcome: persist what changed (an expiry flip), then fail with `error`. */
class CommitThenThrow {
  constructor(readonly error: PalyraError) {}
}

/** One serialized mutation: works on a copy of the state, made on first use. */
class Transaction {
  changed = false;
  readonly requestChanges = new Set<string>();
  readonly revocations: string[] = [];
  private draft: RuntimeState | undefined;

  constructor(
    private readonly committed: RuntimeState,
    readonly now: Date,
  ) {}

  /**
   * The copy a mutation edits: new arrays and a new object per record, sharing the records'
   * (frozen) fields. A deep clone cost ~60 ms per mutation at 10,000 nodes; this ~2 ms. A body
   * that changed a nested array or object in place would throw on the frozen original, so
   * bodies replace nested values (as they do) instead of editing them.
   */
  get state(): RuntimeState {
    this.draft ??= {
      ...this.committed,
      pairingCodes: this.committed.pairingCodes.map((code) => ({ ...code })),
      requests: this.committed.requests.map((request) => ({ ...request })),
      nodes: this.committed.nodes.map((node) => ({ ...node })),
      revoked: this.committed.revoked.map((entry) => ({ ...entry })),
    };
    return this.draft;
  }

  requestChanged(request: PairingRequestRecord): void {
    this.changed = true;
    this.requestChanges.add(request.requestId);
  }
}

/**
 * The daemon's pairing codes, pairing requests, registered nodes and revoked certificates,
 * in memory over a RuntimeStateStore. Mutations run one at a time on a copy of the state and
 * take effect (in memory, for readers, for listeners) only once the store saved it; a failed
 * save changes nothing. Reads are synchronous; the per-RPC ones are O(1).
 */
export class NodeRegistry {
  private readonly now: () => Date;
  private readonly codeTtlMs: number;
  private readonly requestTtlMs: number;
  private readonly lastSeenFlushMs: number;
  private readonly retentionMs: number;
  private readonly maxRetained: number;
  private readonly onError: (error: unknown) => void;

  private state: RuntimeState;
  private nodesById = new Map<string, NodeRecord>();
  private nodesByFingerprint = new Map<string, NodeRecord>();
  private requestsById = new Map<string, PairingRequestRecord>();
  private revokedByFingerprint = new Map<string, RevokedCertRecord>();
  /** lastSeen values newer than the persisted ones, by deviceId. */
  private readonly lastSeen = new Map<string, string>();
  /**
   * What CPace is keyed with, by code id, for the codes that can still run an exchange. Never
   * in `state`, so never in the state file: a copy of that file (a backup, a stolen disk) must
   * not let anyone pair while a code is active. A restart therefore ends every active code.
   */
  private readonly derivations = new Map<string, PairingCodeDerivation>();
  /** The state as loaded differs from the file (codes ended at load): flush() writes it. */
  private unsavedSinceLoad: boolean;
  private lastSeenTimer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Mutations queued or running: while there are any, the committed state may be about to change. */
  private pendingMutations = 0;
  private readonly requestListeners = new Set<{ listener: RequestListener }>();
  private readonly revocationListeners = new Set<{ listener: RevocationListener }>();

  constructor(
    private readonly store: RegistryStore,
    options: NodeRegistryOptions = {},
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
    const loaded = store.snapshot();
    this.unsavedSinceLoad = endCodesWithoutDerivation(loaded, this.now());
    this.state = this.index(loaded);
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
    return this.mutate(signal, (tx) => {
      const createdAt = input.createdAt ?? tx.now.toISOString();
      const derivation = checked('pairing code', () => validateCodeDerivation({ prs: input.prs, salt: input.salt }, 'code'));
      const code = checked('pairing code', () =>
        validatePairingCode(
          {
            id: input.id,
            method: input.method,
            createdAt,
            expiresAt: input.expiresAt ?? isoAfter(new Date(createdAt), input.ttlMs ?? this.codeTtlMs),
            attempts: 0,
            state: 'active',
          },
          'code',
        ),
      );
      if ((input.attempts ?? 0) !== 0 || (input.state ?? 'active') !== 'active') {
        throw invalid('a new pairing code starts active with 0 attempts');
      }
      if (timeOf(code.expiresAt) <= tx.now.getTime()) throw invalid(`pairing code expiresAt ${code.expiresAt} is not in the future`);
      const codes = tx.state.pairingCodes;
      if (codes.some((c) => c.id === code.id)) throw invalid(`a pairing code with id ${code.id} exists already`);
      let superseded = false;
      if (code.method === 'pin') {
        for (const other of codes) {
          if (other.method !== 'pin' || other.state !== 'active') continue;
          if (expired(other.expiresAt, tx.now)) {
            other.state = 'expired';
          } else {
            other.state = 'superseded';
            superseded = true;
          }
        }
      }
      codes.push(code);
      // Only used once the code is committed (every lookup goes through the state first); a
      // failed save leaves an entry the next commit sweeps away.
      this.derivations.set(code.id, { prs: derivation.prs, salt: derivation.salt });
      tx.changed = true;
      return { code, superseded };
    });
  }

  /**
   * The active PIN code. Rejects with PALYRA_E_PAIRING_CODE_EXPIRED, _BURNED or _USED after
   * the latest PIN's fate, or PALYRA_E_PAIRING_NO_CODE; an active code found expired is
   * marked so (persisted) first.
   */
  activePinCode({ signal }: SignalOption = {}): Promise<Readonly<UsablePairingCode>> {
    return this.mutate(signal, (tx) => {
      const pins = tx.state.pairingCodes.filter((c) => c.method === 'pin' && c.state !== 'superseded');
      const active = pins.find((c) => c.state === 'active');
      if (active !== undefined) {
        const problem = this.checkUsable(tx, active);
        return problem === undefined ? this.usable(active) : new CommitThenThrow(problem);
      }
      const latest = pins.reduce<PairingCodeRecord | undefined>(
        (a, c) => (a === undefined || timeOf(c.createdAt) >= timeOf(a.createdAt) ? c : a),
        undefined,
      );
      throw latest === undefined
        ? new PalyraError('PALYRA_E_PAIRING_NO_CODE', `no pairing code is active: ${MINT_HINT}`)
        : codeProblem(latest);
    });
  }

  /**
   * The PIN code `id` for an exchange a node asked for by id: the active PIN, or a superseded
   * one that is still a candidate (supersededPinCandidates). Attempts count against that code
   * only. Otherwise the error for its state ("replaced by a newer one" for a superseded PIN).
   */
  pinCodeForExchange(id: string, { signal }: SignalOption = {}): Promise<Readonly<UsablePairingCode>> {
    return this.mutate(signal, (tx) => {
      const code = findCode(tx.state, id);
      if (code.method !== 'pin') throw new PalyraError('PALYRA_E_PAIRING_NO_CODE', 'no PIN pairing code has this id');
      if (this.isCandidate(code, tx.now)) return this.usable(code);
      const problem = this.checkUsable(tx, code);
      return problem === undefined ? this.usable(code) : new CommitThenThrow(problem);
    });
  }

  /**
   * Ids of the superseded PINs a node may try before the active one, newest first: a CPace
   * exchange cannot say which PIN it is for, so a node holding a PIN that was replaced would
   * otherwise spend one of the active PIN's attempts. Trying them costs only their own
   * attempts (they can never pair: a proven superseded PIN is refused as replaced).
   */
  supersededPinCandidates(): string[] {
    const now = this.now();
    return this.state.pairingCodes
      .filter((c) => this.isCandidate(c, now))
      .sort((a, b) => timeOf(b.createdAt) - timeOf(a.createdAt))
      .slice(0, MAX_SUPERSEDED_PIN_CANDIDATES)
      .map((c) => c.id);
  }

  /** The code `id` if it is active; otherwise the error for its state (see activePinCode). */
  findActiveCode(id: string, { signal }: SignalOption = {}): Promise<Readonly<UsablePairingCode>> {
    return this.mutate(signal, (tx) => {
      const code = findCode(tx.state, id);
      const problem = this.checkUsable(tx, code);
      return problem === undefined ? this.usable(code) : new CommitThenThrow(problem);
    });
  }

  /**
   * Counts an attempt on an active code; call it when the exchange STARTS, so a peer that
   * drops the connection still spends a guess. The code burns at MAX_PIN_ATTEMPTS; the
   * attempt that burned it may still complete (see consumeCode). Returns the updated code.
   */
  recordAttempt(codeId: string, { signal }: SignalOption = {}): Promise<Readonly<UsablePairingCode>> {
    return this.mutate(signal, (tx) => {
      const code = findCode(tx.state, codeId);
      // A superseded candidate counts its own attempts (and stops being one at the limit); it
      // never pairs: consumeCode refuses it.
      if (!this.isCandidate(code, tx.now)) {
        const problem = this.checkUsable(tx, code);
        if (problem !== undefined) return new CommitThenThrow(problem);
      }
      // Taken before the count: the attempt that burns the code still runs its exchange.
      const usable = this.usable(code);
      code.attempts += 1;
      if (code.attempts >= MAX_PIN_ATTEMPTS && code.state === 'active') code.state = 'burned';
      tx.changed = true;
      return { ...usable, attempts: code.attempts, state: code.state };
    });
  }

  /**
   * Marks the code used after a successful exchange. Accepts an active code, or one burned by
   * attempts: no attempt starts on a burned code, so this is an exchange counted before the
   * burn (the last allowed guess) that proved the code.
   */
  consumeCode(codeId: string, { signal }: SignalOption = {}): Promise<Readonly<PairingCodeRecord>> {
    return this.mutate(signal, (tx) => {
      const code = findCode(tx.state, codeId);
      if (code.state !== 'burned') {
        const problem = this.checkUsable(tx, code);
        if (problem !== undefined) return new CommitThenThrow(problem);
      }
      code.state = 'used';
      tx.changed = true;
      return code;
    });
  }

  // ---------------------------------------------------------------- requests

  /**
   * Queues a request for approval. `repair` is set when the identity key belongs to a
   * registered node or a previously approved request. A pending request of the same device
   * is expired: the newer one replaces it.
   */
  addRequest(input: NewPairingRequest, { signal }: SignalOption = {}): Promise<Readonly<PairingRequestRecord>> {
    return this.mutate(signal, (tx) => {
      const draft = tx.state;
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
            repair:
              draft.nodes.some((n) => n.ed25519PublicKey === key) ||
              draft.requests.some((r) => r.state === 'approved' && r.ed25519PublicKey === key),
            requestedAt,
            expiresAt: input.expiresAt ?? isoAfter(new Date(requestedAt), input.ttlMs ?? this.requestTtlMs),
            state: 'pending_approval',
          },
          'request',
        ),
      );
      if ((input.state ?? 'pending_approval') !== 'pending_approval') throw invalid('a new request must be pending_approval');
      if (expired(request.expiresAt, tx.now)) throw invalid(`request expiresAt ${request.expiresAt} is not in the future`);
      if (draft.requests.some((r) => r.requestId === request.requestId)) {
        throw invalid(`a pairing request with id ${request.requestId} exists already`);
      }
      for (const older of draft.requests) {
        if (older.deviceId === request.deviceId && older.state === 'pending_approval') this.decide(tx, older, 'expired');
      }
      draft.requests.push(request);
      tx.requestChanged(request);
      return request;
    });
  }

  /** Pending requests, oldest first; stale ones are expired (and persisted) first. */
  async pendingRequests({ signal }: SignalOption = {}): Promise<Readonly<PairingRequestRecord>[]> {
    await this.expireRequests({ signal });
    return this.state.requests
      .filter((r) => r.state === 'pending_approval')
      .sort((a, b) => timeOf(a.requestedAt) - timeOf(b.requestedAt));
  }

  /** By exact requestId (any state), else the pending request of that deviceId. */
  findRequest(idOrDeviceId: string): Readonly<PairingRequestRecord> | undefined {
    const byId = this.requestsById.get(idOrDeviceId);
    if (byId !== undefined) return byId;
    return this.state.requests.find((r) => r.deviceId === idOrDeviceId && r.state === 'pending_approval');
  }

  /**
   * The identity change `request` would be if approved now: its device id is registered under
   * another identity key. Undefined for a new device or a re-pair with the same key.
   */
  identityChangeOf(request: Pick<PairingRequestRecord, 'deviceId' | 'ed25519PublicKey'>): IdentityChange | undefined {
    return identityChangeOf(this.nodesById.get(request.deviceId), request);
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
      const draft = tx.state;
      const fingerprint = certificate.fingerprint.toLowerCase();
      const notAfter = certificate.notAfter instanceof Date ? certificate.notAfter.toISOString() : certificate.notAfter;
      const existing = draft.nodes.find((n) => n.deviceId === request.deviceId);
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
            ed25519PublicKey: request.ed25519PublicKey,
            x25519PublicKey: request.x25519PublicKey,
            certFingerprint: fingerprint,
            certExpiresAt: notAfter,
            pairedAt: tx.now.toISOString(),
            lastSeen: existing?.lastSeen ?? null,
          },
          'node',
        ),
      );
      if (draft.revoked.some((r) => r.fingerprint === fingerprint)) throw invalid(`certificate ${fingerprint} is revoked`);
      if (draft.nodes.some((n) => n.certFingerprint === fingerprint && n.deviceId !== request.deviceId)) {
        throw invalid(`certificate ${fingerprint} belongs to another node`);
      }
      this.decide(tx, request, 'approved');
      request.certificate = checked('certificate', () => {
        validatePairingRequest({ ...request, certificate: certificate.certDer }, 'request');
        return certificate.certDer;
      });
      if (existing === undefined) {
        draft.nodes.push(node);
      } else {
        if (existing.certFingerprint !== fingerprint) {
          this.revoke(tx, existing, change === undefined ? 'replaced by a new pairing' : 'replaced by a new identity key (--replace-identity)');
        }
        Object.assign(existing, node);
      }
      return request;
    });
  }

  /** Rejects a pending request (requestId or deviceId). */
  reject(id: string, { signal }: SignalOption = {}): Promise<Readonly<PairingRequestRecord>> {
    return this.mutate(signal, (tx) => {
      const request = this.pendingRequest(tx, id);
      if (request instanceof CommitThenThrow) return request;
      this.decide(tx, request, 'rejected');
      return request;
    });
  }

  /** Expires pending requests past their expiresAt; returns them. Cheap when there are none. */
  async expireRequests({ signal }: SignalOption = {}): Promise<readonly Readonly<PairingRequestRecord>[]> {
    const stale = (now: Date) => (r: PairingRequestRecord) => r.state === 'pending_approval' && expired(r.expiresAt, now);
    if (!this.state.requests.some(stale(this.now()))) return [];
    return this.mutate(signal, (tx) => {
      const flipped = tx.state.requests.filter(stale(tx.now));
      for (const request of flipped) this.decide(tx, request, 'expired');
      return flipped;
    });
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
    { signal }: SignalOption = {},
  ): Promise<readonly Readonly<PairingRequestRecord>[]> {
    const wanted = requestIds === undefined ? undefined : new Set(requestIds);
    const matches = (r: PairingRequestRecord): boolean =>
      r.state === 'pending_approval' && (wanted === undefined || wanted.has(r.requestId));
    if (!this.state.requests.some(matches)) return Promise.resolve([]);
    return this.mutate(signal, (tx) => {
      const withdrawn = tx.state.requests.filter(matches);
      for (const request of withdrawn) this.decide(tx, request, 'expired');
      return withdrawn;
    });
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
    return this.state.nodes.map((n) => this.withLastSeen(n));
  }

  getNode(deviceId: string): Readonly<NodeRecord> | undefined {
    const node = this.nodesById.get(deviceId);
    return node === undefined ? undefined : this.withLastSeen(node);
  }

  /**
   * Updates what the node announces (RegisterNode). Writes nothing when nothing changed; then,
   * with no other mutation queued, it does not even copy the state: every node announces
   * itself at each connect, mostly unchanged, and a copy of the whole state per RegisterNode
   * made registering N nodes cost O(N^2).
   */
  updateNodeInfo(deviceId: string, info: NodeInfoUpdate, { signal }: SignalOption = {}): Promise<Readonly<NodeRecord>> {
    if (this.pendingMutations === 0) {
      try {
        throwIfAborted(signal);
        const node = this.nodesById.get(deviceId) ?? findNode(this.state, deviceId);
        if (!nodeInfoChanges(node, info)) return Promise.resolve(this.withLastSeen(node));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return this.mutate(signal, (tx) => {
      // Read the committed state first: the draft (a copy) is only made for a real change.
      const committed = findNode(this.state, deviceId);
      const updated = nodeInfoChanges(committed, info);
      if (updated === undefined) return this.withLastSeen(committed);
      const node = findNode(tx.state, deviceId);
      Object.assign(node, updated);
      tx.changed = true;
      return this.withLastSeen(node);
    });
  }

  /**
   * Notes that the node was seen at `when`. Kept in memory and written at most every
   * lastSeenFlushMs, with any other change, or on flush(). Unknown devices are ignored (a
   * session of a node just removed may still be closing).
   */
  touchLastSeen(deviceId: string, when: Date = this.now()): void {
    const node = this.nodesById.get(deviceId);
    if (node === undefined) return;
    const previous = this.lastSeen.get(deviceId) ?? node.lastSeen;
    if (previous !== null && timeOf(previous) >= when.getTime()) return;
    this.lastSeen.set(deviceId, when.toISOString());
    if (this.lastSeenTimer === undefined) {
      this.lastSeenTimer = setTimeout(() => {
        this.lastSeenTimer = undefined;
        this.flush().catch(this.onError);
      }, this.lastSeenFlushMs);
      this.lastSeenTimer.unref();
    }
  }

  /**
   * Writes pending lastSeen updates (and what changed at load: codes ended by the restart),
   * after any mutation in progress. Call it at start and on stop.
   */
  flush({ signal }: SignalOption = {}): Promise<void> {
    clearTimeout(this.lastSeenTimer);
    this.lastSeenTimer = undefined;
    return this.mutate(signal, (tx) => {
      if (this.lastSeen.size > 0 || this.unsavedSinceLoad) tx.changed = true;
    });
  }

  /** Unregisters the node and revokes its certificate. Returns the removed record. */
  removeNode(deviceId: string, reason: string, { signal }: SignalOption = {}): Promise<Readonly<NodeRecord>> {
    return this.mutate(signal, (tx) => {
      const node = findNode(tx.state, deviceId);
      tx.state.nodes = tx.state.nodes.filter((n) => n !== node);
      node.lastSeen = this.withLastSeen(node).lastSeen;
      this.revoke(tx, node, reason);
      return node;
    });
  }

  /** O(1); `fingerprint` is the SHA-256 of the certificate DER in hex. */
  isRevoked(fingerprint: string): boolean {
    return this.revokedByFingerprint.has(fingerprint.toLowerCase());
  }

  /** O(1): the node whose current certificate has this fingerprint. */
  nodeForFingerprint(fingerprint: string): Readonly<NodeRecord> | undefined {
    const node = this.nodesByFingerprint.get(fingerprint.toLowerCase());
    return node === undefined ? undefined : this.withLastSeen(node);
  }

  // ---------------------------------------------------------------- internals

  /**
   * Runs `body` after every earlier mutation, on a copy of the state; if it changed
   * anything, saves the copy (with pending lastSeen values, pruned) and only then makes it
   * current and tells listeners. A throw discards the copy; CommitThenThrow saves, then throws.
   */
  private mutate<T>(signal: AbortSignal | undefined, body: (tx: Transaction) => T | CommitThenThrow): Promise<T> {
    const run = async (): Promise<T> => {
      throwIfAborted(signal);
      const tx = new Transaction(this.state, this.now());
      const outcome = body(tx);
      if (tx.changed) {
        const draft = tx.state;
        const persistedLastSeen = this.applyLastSeen(draft);
        this.prune(draft, tx.now);
        await this.store.save(draft, { signal });
        this.commit(draft, persistedLastSeen);
        this.notify(tx);
      }
      if (outcome instanceof CommitThenThrow) throw outcome.error;
      return deepFreeze(outcome);
    };
    this.pendingMutations += 1;
    const result = this.queue.then(run).finally(() => {
      this.pendingMutations -= 1;
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private index(state: RuntimeState): RuntimeState {
    deepFreeze(state);
    this.nodesById = new Map(state.nodes.map((n) => [n.deviceId, n]));
    this.nodesByFingerprint = new Map(state.nodes.map((n) => [n.certFingerprint, n]));
    this.requestsById = new Map(state.requests.map((r) => [r.requestId, r]));
    this.revokedByFingerprint = new Map(state.revoked.map((r) => [r.fingerprint, r]));
    return state;
  }

  private commit(draft: RuntimeState, persistedLastSeen: Map<string, string>): void {
    this.state = this.index(draft);
    this.unsavedSinceLoad = false;
    // A code that can no longer run an exchange needs its derivation no more: active codes and
    // the newest superseded PINs that may still be tried keep theirs.
    const now = this.now();
    const superseded = draft.pairingCodes
      .filter((c) => c.method === 'pin' && c.state === 'superseded' && c.attempts < MAX_PIN_ATTEMPTS && !expired(c.expiresAt, now))
      .sort((a, b) => timeOf(b.createdAt) - timeOf(a.createdAt))
      .slice(0, MAX_SUPERSEDED_PIN_CANDIDATES);
    const live = new Set([...draft.pairingCodes.filter((c) => c.state === 'active'), ...superseded].map((c) => c.id));
    for (const id of this.derivations.keys()) {
      if (!live.has(id)) this.derivations.delete(id);
    }
    for (const [deviceId, value] of persistedLastSeen) {
      if (this.lastSeen.get(deviceId) === value || !this.nodesById.has(deviceId)) this.lastSeen.delete(deviceId);
    }
  }

  /** Copies newer in-memory lastSeen values into the draft; returns what it copied. */
  private applyLastSeen(draft: RuntimeState): Map<string, string> {
    const applied = new Map(this.lastSeen);
    for (const node of draft.nodes) {
      const seen = applied.get(node.deviceId);
      if (seen !== undefined && (node.lastSeen === null || timeOf(seen) > timeOf(node.lastSeen))) node.lastSeen = seen;
    }
    return applied;
  }

  private withLastSeen(node: NodeRecord): Readonly<NodeRecord> {
    const seen = this.lastSeen.get(node.deviceId);
    return seen === undefined ? node : Object.freeze({ ...node, lastSeen: seen });
  }

  private notify(tx: Transaction): void {
    for (const id of tx.requestChanges) {
      const request = this.requestsById.get(id);
      if (request === undefined) continue;
      for (const { listener } of [...this.requestListeners]) this.call(() => listener(request));
    }
    for (const fingerprint of tx.revocations) {
      const record = this.revokedByFingerprint.get(fingerprint);
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

  /** Drops decided requests and spent codes older than retentionMs, keeping at most maxRetained of each. */
  private prune(draft: RuntimeState, now: Date): void {
    const cutoff = now.getTime() - this.retentionMs;
    const keep = <T>(items: T[], live: (item: T) => boolean, time: (item: T) => number): T[] => {
      const old = items.filter((i) => !live(i) && time(i) >= cutoff);
      const kept = new Set(old.sort((a, b) => time(b) - time(a)).slice(0, this.maxRetained));
      return items.filter((i) => live(i) || kept.has(i));
    };
    draft.requests = keep(
      draft.requests,
      (r) => r.state === 'pending_approval',
      (r) => timeOf(r.decidedAt ?? r.requestedAt),
    );
    draft.pairingCodes = keep(
      draft.pairingCodes,
      (c) => c.state === 'active',
      (c) => Math.max(timeOf(c.createdAt), timeOf(c.expiresAt)),
    );
  }

  /**
   * The code with its derivation. An active code always has one (codes loaded from the file
   * were ended at start); a missing one is a bug, reported as such rather than keyed with junk.
   */
  private usable(code: PairingCodeRecord): UsablePairingCode {
    const derivation = this.derivations.get(code.id);
    if (derivation === undefined) throw new PalyraError('PALYRA_E_INTERNAL', `pairing code ${code.id} has no derivation in memory`);
    return { ...code, prs: derivation.prs, salt: derivation.salt };
  }

  /** A superseded PIN that may still run an exchange (see supersededPinCandidates). */
  private isCandidate(code: PairingCodeRecord, now: Date): boolean {
    return (
      code.method === 'pin' &&
      code.state === 'superseded' &&
      code.attempts < MAX_PIN_ATTEMPTS &&
      !expired(code.expiresAt, now) &&
      this.derivations.has(code.id)
    );
  }

  /** Flips an active code past its expiry to 'expired'; returns the error for an unusable code. */
  private checkUsable(tx: Transaction, code: PairingCodeRecord): PalyraError | undefined {
    if (code.state === 'active' && expired(code.expiresAt, tx.now)) {
      code.state = 'expired';
      tx.changed = true;
    }
    return code.state === 'active' ? undefined : codeProblem(code);
  }

  /** The pending request `id` names, or the error to raise (an expiry flip is committed first). */
  private pendingRequest(tx: Transaction, id: string): PairingRequestRecord | CommitThenThrow {
    const requests = tx.state.requests;
    const request =
      requests.find((r) => r.requestId === id) ??
      requests.find((r) => r.deviceId === id && r.state === 'pending_approval');
    if (request === undefined) {
      throw new PalyraError(
        'PALYRA_E_REQUEST_NOT_FOUND',
        `no pending pairing request matches "${id}": list them with palyrad nodes pending`,
      );
    }
    if (request.state === 'pending_approval' && expired(request.expiresAt, tx.now)) {
      this.decide(tx, request, 'expired');
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

  private decide(tx: Transaction, request: PairingRequestRecord, state: 'approved' | 'rejected' | 'expired'): void {
    request.state = state;
    request.decidedAt = tx.now.toISOString();
    tx.requestChanged(request);
  }

  private revoke(tx: Transaction, node: NodeRecord, reason: string): void {
    const revoked = tx.state.revoked;
    if (!revoked.some((r) => r.fingerprint === node.certFingerprint)) {
      revoked.push({ fingerprint: node.certFingerprint, deviceId: node.deviceId, revokedAt: tx.now.toISOString(), reason });
      tx.revocations.push(node.certFingerprint);
    }
    tx.changed = true;
  }
}

/**
 * Ends every active code of the state as loaded (in place): its derivation was never written
 * to the file (or, from an older file, was dropped on load), so no exchange can run with it.
 * It is marked expired as of now. Returns whether anything changed.
 */
function endCodesWithoutDerivation(state: RuntimeState, now: Date): boolean {
  let ended = false;
  for (const code of state.pairingCodes) {
    if (code.state !== 'active') continue;
    code.state = 'expired';
    if (timeOf(code.expiresAt) > now.getTime()) code.expiresAt = now.toISOString();
    ended = true;
  }
  return ended;
}

function expired(expiresAt: string, now: Date): boolean {
  return timeOf(expiresAt) <= now.getTime();
}

/** The node record with `info` applied (validated), or undefined when it changes nothing. */
function nodeInfoChanges(node: NodeRecord, info: NodeInfoUpdate): NodeRecord | undefined {
  const updated = checked('node info', () =>
    validateNode(
      {
        ...node,
        name: info.name ?? node.name,
        platform: info.platform,
        hostname: info.hostname,
        agentVersion: info.agentVersion,
        capabilities: [...info.capabilities],
      },
      'node',
    ),
  );
  return JSON.stringify(updated) === JSON.stringify(node) ? undefined : updated;
}

function findCode(state: RuntimeState, id: string): PairingCodeRecord {
  const code = state.pairingCodes.find((c) => c.id === id);
  if (code === undefined) {
    throw new PalyraError('PALYRA_E_PAIRING_NO_CODE', `no pairing code with id ${id}: ${MINT_HINT}`);
  }
  return code;
}

function findNode(state: RuntimeState, deviceId: string): NodeRecord {
  const node = state.nodes.find((n) => n.deviceId === deviceId);
  if (node === undefined) {
    // Device ids have one spelling (canonical upper case): a lower-case one is refused, as everywhere.
    assertDeviceId(deviceId);
    throw new PalyraError('PALYRA_E_NODE_NOT_FOUND', `no registered node ${deviceId}: list them with palyrad nodes list`);
  }
  return node;
}

function codeProblem(code: PairingCodeRecord): PalyraError {
  switch (code.state) {
    case 'active':
      throw new Error('codeProblem() called for an active code');
    case 'expired':
      return new PalyraError(
        'PALYRA_E_PAIRING_CODE_EXPIRED',
        `the pairing code expired at ${code.expiresAt} (codes also end when the daemon restarts): ${MINT_HINT}`,
      );
    case 'burned':
      return new PalyraError(
        'PALYRA_E_PAIRING_CODE_BURNED',
        `the pairing code was burned after ${MAX_PIN_ATTEMPTS} attempts: ${MINT_HINT}`,
      );
    case 'used':
      return new PalyraError('PALYRA_E_PAIRING_CODE_USED', `the pairing code was already used: ${MINT_HINT}`);
    case 'superseded':
      return new PalyraError('PALYRA_E_PAIRING_NO_CODE', `the pairing code was replaced by a newer one: use the latest PIN`);
  }
}

function invalid(message: string, cause?: unknown): PalyraError {
  return new PalyraError('PALYRA_E_INVALID_ARGUMENT', message, cause === undefined ? {} : { cause });
}

/** Runs a validation, turning a StateValidationError into PALYRA_E_INVALID_ARGUMENT. */
function checked<T>(what: string, validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    if (error instanceof StateValidationError) throw invalid(`invalid ${what}: ${error.message}`, error);
    throw error;
  }
}
