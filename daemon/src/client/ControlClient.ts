import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AdminServiceClient, AuditVerification__Output, CreatedToken__Output, CreateTokenRequest, TokenInfo__Output, CaStatus__Output, DaemonStatus__Output, DispatchInfo__Output, FinishCaRotationResponse__Output, NodeDescription__Output, NodeInfo__Output, PairingCode__Output, PendingRequest__Output, RenewNodesResponse__Output, WhoAmIResponse__Output } from '@palyra/proto';
import { MAX_ADMIN_MESSAGE_BYTES, UnaryHttp2Client } from '@palyra/proto/client';
import { PalyraError } from '@palyra/shared/errors';
import type { DaemonEvent, DaemonEventType } from '@palyra/shared/quic';
import { ADMIN_SOCKET_NAME } from '../admin/socketName.js';
import type { AuditVerificationReport } from '../audit/verifyAuditLog.js';
import { adminAccessDenied, isAccessDenied } from './adminAccessDenied.js';
import { readApprovals, type ApprovalsEvent } from './approvals.js';
import { readDispatchWatch, toDispatchView, type DispatchView } from './dispatches.js';
import { readEvents } from './events.js';
import type { FanoutNodeResult } from './fanout/types.js';
import type { InvokeManyOptions } from './fanout/invokeMany.js';
import { InvocationStream } from './InvocationStream.js';
import type { InvocationEvent, InvocationResult, InvokeRequestOptions } from './invocation.js';
import type { AdminTransport, RemoteOptions } from './remote/remoteTransport.js';
import { headersInterceptor, socketIdentityHeaders, type SocketIdentity } from './socketIdentity.js';

export interface CallOptions {
  signal?: AbortSignal;
  /** Milliseconds; default 10 s. */
  timeoutMs?: number;
}

/**
 * Typed client of a running daemon's admin API: through its Unix socket (`connect`, as the
 * local owner), or remotely through its TLS admin endpoint with an API token and the pinned
 * CA fingerprint (`connectRemote`). Both offer the same calls. The CLI uses it; so can any
 * program.
 */
export class ControlClient {
  private readonly invocations: InvocationStream;
  /** The grpc-js client for the streaming calls, loaded on first use (see UnaryHttp2Client). */
  private streaming: Promise<AdminServiceClient> | undefined;
  private closed = false;

  private readonly unaryClient: UnaryHttp2Client;
  private readonly openStreaming: () => Promise<AdminServiceClient>;
  /** Where the daemon is: `the daemon at <socket path or HOST:PORT>`. */
  readonly target: string;
  /** Remote clients: the daemon's CA certificate (PEM) that matched the pinned fingerprint. */
  readonly caCertPem: string | undefined;

  private constructor(transport: AdminTransport) {
    this.unaryClient = transport.unary;
    this.caCertPem = transport.caCertPem;
    this.openStreaming = transport.openStreaming;
    this.target = transport.target;
    this.invocations = new InvocationStream(() => this.streamingClient());
  }

  /**
   * Connects to the daemon whose state dir is given (as the local owner, or, with `as`, as an
   * API token: the daemon's HTTP API calls for its clients this way); fails fast with
   * PALYRA_E_DAEMON_UNREACHABLE when none runs there, and with PALYRA_E_ADMIN_ACCESS_DENIED
   * when one may run but this user may not reach its socket.
   */
  static async connect(stateDir: string, { signal, timeoutMs = 3_000, as }: CallOptions & { as?: SocketIdentity } = {}): Promise<ControlClient> {
    const socketPath = join(stateDir, ADMIN_SOCKET_NAME);
    const unreachable = (detail: string): PalyraError =>
      new PalyraError(
        'PALYRA_E_DAEMON_UNREACHABLE',
        `no daemon answers on ${socketPath} (${detail}): start it with palyrad start --state-dir ${stateDir}`,
      );
    try {
      await lstat(socketPath);
    } catch (error) {
      // Another user's 0700 state dir hides the socket: EACCES, which is not "no socket".
      if (isAccessDenied(error)) throw await adminAccessDenied(socketPath, error);
      throw unreachable('no admin socket');
    }
    // A daemon that crashed (or a reboot) leaves its socket file behind: the connection is
    // refused at once (ECONNREFUSED), which is what the message names.
    const headers = as === undefined ? {} : socketIdentityHeaders(as);
    const unaryClient = await UnaryHttp2Client.connectUnix(socketPath, { timeoutMs, headers, ...(signal ? { signal } : {}) }).catch(async (error: PalyraError) => {
      if (error.code === 'PALYRA_E_CANCELLED') throw error;
      // A 0600 socket of another user in a directory this user may enter.
      if (isAccessDenied(error.cause)) throw await adminAccessDenied(socketPath, error.cause);
      throw unreachable((error.cause as NodeJS.ErrnoException | undefined)?.code ?? error.message);
    });
    return new ControlClient({
      unary: unaryClient,
      target: `the daemon at ${socketPath}`,
      openStreaming: async () => {
        const [grpc, { loadPalyraProto }] = await Promise.all([import('@grpc/grpc-js'), import('@palyra/proto')]);
        return new (loadPalyraProto().AdminService)(`unix://${socketPath}`, grpc.credentials.createInsecure(), {
          // The approvals snapshot lists every node, as ListNodes does.
          'grpc.max_receive_message_length': MAX_ADMIN_MESSAGE_BYTES,
          // grpc-js refuses call credentials on an insecure channel: the token goes as metadata.
          ...(as === undefined ? {} : { interceptors: [headersInterceptor(grpc, headers)] }),
        });
      },
    });
  }

  /**
   * Connects to a daemon's remote admin endpoint (`palyrad start --admin-listen`) with an API
   * token, trusting only the CA whose SHA-256 fingerprint is `caFingerprint` (the `ca=` of the
   * daemon's ready line, `palyrad status`): the daemon's certificate is verified against it
   * before any request, so a wrong daemon never sees the token (PALYRA_E_SERVER_IDENTITY,
   * naming both fingerprints). A refused token is PALYRA_E_UNAUTHENTICATED on the first call;
   * a call the token's role does not allow, PALYRA_E_FORBIDDEN naming the permission; over
   * its rate, PALYRA_E_RATE_LIMITED with details.retryAfterMs.
   */
  static async connectRemote(options: RemoteOptions): Promise<ControlClient> {
    const { connectRemoteTransport } = await import('./remote/remoteTransport.js');
    return new ControlClient(await connectRemoteTransport(options));
  }

  close(): void {
    this.closed = true;
    this.invocations.close();
    this.unaryClient.close();
    void this.streaming?.then((client) => client.close(), () => undefined);
  }

  status(options?: CallOptions): Promise<DaemonStatus__Output> {
    return this.unary('GetStatus', {}, options);
  }

  /** Who the daemon takes this client for: the local owner, or a token with its role, permissions and expiry. */
  whoAmI(options?: CallOptions): Promise<WhoAmIResponse__Output> {
    return this.unary('WhoAmI', {}, options);
  }

  createPairingCode(request: { method: 'pin' | 'qr'; ttlMs?: number }, options?: CallOptions): Promise<PairingCode__Output> {
    const ttlSeconds = request.ttlMs === undefined ? 0 : Math.ceil(request.ttlMs / 1000);
    return this.unary('CreatePairingCode', { method: request.method, ttlSeconds }, options);
  }

  async listPending(options?: CallOptions): Promise<PendingRequest__Output[]> {
    const response = await this.unary<{ requests: PendingRequest__Output[] }>('ListPending', {}, options);
    return response.requests;
  }

  /** `replaceIdentity`: approve an identity change (see PendingRequest.identity_change). */
  decide(id: string, approve: boolean, options?: CallOptions & { replaceIdentity?: boolean }): Promise<PendingRequest__Output> {
    const { replaceIdentity = false, ...callOptions } = options ?? {};
    return this.unary('Decide', { id, approve, replaceIdentity }, callOptions);
  }

  /**
   * Every registered node the caller may see (matching `selector`, docs/cli.md "Selectors"),
   * in device id order. The daemon answers in pages (`pageSize`, default 500): this asks for
   * each in turn; the timeout applies per page.
   */
  async listNodes(options: CallOptions & { selector?: string; pageSize?: number } = {}): Promise<NodeInfo__Output[]> {
    const nodes: NodeInfo__Output[] = [];
    for await (const page of this.listNodePages(options)) for (const node of page) nodes.push(node);
    return nodes;
  }

  /** The pages of ListNodes, one array per page (for callers that act on nodes as they come). */
  async *listNodePages({ selector = '', pageSize = 0, ...options }: CallOptions & { selector?: string; pageSize?: number } = {}): AsyncGenerator<NodeInfo__Output[], void, undefined> {
    let pageToken = '';
    do {
      const response = await this.unary<{ nodes: NodeInfo__Output[]; nextPageToken: string }>('ListNodes', { selector, pageSize, pageToken }, options);
      yield response.nodes;
      pageToken = response.nextPageToken;
    } while (pageToken !== '');
  }

  /** Sets (`set`) and removes (`remove`) operator labels of a node (a device id, unique prefix or name); the node as it is now. */
  labelNode(node: string, change: { set?: Record<string, string>; remove?: string[] }, options?: CallOptions): Promise<NodeInfo__Output> {
    return this.unary('LabelNode', { node, set: change.set ?? {}, remove: change.remove ?? [] }, options);
  }

  /** Everything known about one node (a device id, unique prefix or name), with its last `dispatches` (default 10). */
  async describeNode(node: string, options: CallOptions & { dispatches?: number } = {}): Promise<NodeDescriptionView> {
    const { dispatches = 0, ...callOptions } = options;
    const answer = await this.unary<NodeDescription__Output>('DescribeNode', { node, dispatches }, callOptions);
    if (answer.node === null) throw new PalyraError('PALYRA_E_INTERNAL', 'the daemon described no node');
    return { node: answer.node, lastDispatches: answer.lastDispatches.map(toDispatchView), transportDetail: answer.transportDetail };
  }

  removeNode(deviceId: string, options?: CallOptions): Promise<NodeInfo__Output> {
    return this.unary('RemoveNode', { deviceId }, options);
  }

  /** Mints an API token: the answer carries the token itself, once (the daemon keeps only a hash). */
  createToken(request: CreateTokenRequest, options?: CallOptions): Promise<CreatedToken__Output> {
    return this.unary('CreateToken', request, options);
  }

  async listTokens(includeRevoked: boolean, options?: CallOptions): Promise<TokenInfo__Output[]> {
    const response = await this.unary<{ tokens: TokenInfo__Output[] }>('ListTokens', { includeRevoked }, options);
    return response.tokens;
  }

  /** Revokes a token at once (its open streams end); revoking a revoked token returns it as it is. */
  revokeToken(tokenId: string, options?: CallOptions): Promise<TokenInfo__Output> {
    return this.unary('RevokeToken', { tokenId }, options);
  }

  /** Begins a CA rotation (PALYRA_E_CA_ROTATION_IN_PROGRESS while one runs). */
  rotateCa(options?: CallOptions): Promise<CaStatus__Output> {
    // A new RSA-3072 key: seconds on a busy machine.
    return this.unary('RotateCa', {}, { timeoutMs: 60_000, ...options });
  }

  caStatus(options?: CallOptions): Promise<CaStatus__Output> {
    return this.unary('GetCaStatus', {}, options);
  }

  /** Retires the old CA (PALYRA_E_CA_IN_USE while nodes depend on it, unless `force`). */
  finishCaRotation(force: boolean, options?: CallOptions): Promise<FinishCaRotationResponse__Output> {
    return this.unary('FinishCaRotation', { force }, options);
  }

  /**
   * Asks online nodes to renew their certificate now (one by device id, or all): returns the
   * nodes that were asked (RenewNow sent on their Session) and those offline.
   */
  renewNodes(target: { deviceId: string } | { all: true }, options?: CallOptions & { reason?: string }): Promise<RenewNodesResponse__Output> {
    const { reason = '', ...callOptions } = options ?? {};
    const request = 'all' in target ? { all: true, deviceId: '', reason } : { all: false, deviceId: target.deviceId, reason };
    return this.unary('RenewNodes', request, callOptions);
  }

  /**
   * Dispatches one capability request: yields `accepted`, state changes, output chunks and
   * progress as they happen, and ends with the `result`. Aborting `signal` (or breaking out
   * of the loop) cancels the dispatch on the node.
   */
  invoke(request: InvokeRequestOptions): AsyncGenerator<InvocationEvent, void, undefined> {
    return this.invocations.invoke(request);
  }

  /**
   * Fan-out: dispatches one capability request to every node `selector` matches (or to
   * `deviceIds`) over the one InvokeMany stream, at most `concurrency` at once (default 50),
   * in rolling batches, and yields each node's result as it finishes. Stops starting new
   * dispatches after `maxFailures` nodes did not succeed (the rest yielded `skipped`); waits
   * up to `waitOnlineMs` for offline nodes. Streamed output goes to `onOutput`, never into the
   * results. Aborting `signal` (or leaving the loop) cancels every running dispatch.
   * PALYRA_E_NO_NODES_MATCH when the selector matches nothing.
   */
  async *invokeMany(options: InvokeManyOptions): AsyncGenerator<FanoutNodeResult, void, undefined> {
    const { invokeMany } = await import('./fanout/invokeMany.js');
    yield* invokeMany(this, options);
  }

  /** Dispatches and waits for the result, collecting output chunks. */
  async invokeAndWait(request: InvokeRequestOptions): Promise<InvocationResult & { stdout: Buffer }> {
    const chunks: Buffer[] = [];
    for await (const event of this.invocations.invoke(request, { resultOnly: true })) {
      if (event.type === 'output') chunks.push(event.chunk);
      if (event.type === 'result') return { ...event.result, stdout: Buffer.concat(chunks) };
    }
    throw new PalyraError('PALYRA_E_INTERNAL', 'the daemon ended the invocation without a result');
  }

  /**
   * Follows the approval queue live: yields a `snapshot` (pending requests and nodes) first,
   * then `request-added`, `request-decided` (approved, rejected, expired), `node-online` and
   * `node-offline` as they happen. Never ends by itself: abort `signal` (or leave the loop) to
   * stop, which ends the iteration quietly; a daemon that goes away ends it with
   * PALYRA_E_DAEMON_UNREACHABLE (watch again to resume from a new snapshot).
   */
  watchApprovals({ signal }: { signal?: AbortSignal } = {}): AsyncGenerator<ApprovalsEvent, void, undefined> {
    return this.follow((client) => readApprovals(client.watchApprovals({}), signal));
  }

  /**
   * Follows the daemon's events (dispatch state changes, nodes online/offline, pairing
   * requests), only `types` when given. Never ends by itself: abort `signal` to stop.
   */
  streamEvents({ types = [], signal }: { types?: DaemonEventType[]; signal?: AbortSignal } = {}): AsyncGenerator<DaemonEvent, void, undefined> {
    return this.follow((client) => readEvents(client.streamEvents({ types }), signal));
  }

  /** The dispatch journal, newest first (default 100, at most 10,000). */
  async listDispatches(query: { deviceId?: string; unfinished?: boolean; limit?: number } = {}, options?: CallOptions): Promise<DispatchView[]> {
    const response = await this.unary<{ dispatches: DispatchInfo__Output[] }>(
      'ListDispatches',
      { deviceId: query.deviceId ?? '', unfinished: query.unfinished ?? false, limit: query.limit ?? 0 },
      options,
    );
    return response.dispatches.map(toDispatchView);
  }

  /**
   * Audit entries (each the JSON object as stored) matching the filters, in seq order from
   * `afterSeq`; `lastSeq` and `more` page on.
   */
  async listAudit(
    query: { afterSeq?: number; since?: string; actor?: string; node?: string; action?: string; limit?: number } = {},
    options?: CallOptions,
  ): Promise<{ entries: Record<string, unknown>[]; lastSeq: number; more: boolean }> {
    const response = await this.unary<{ entriesJson: string[]; lastSeq: string | number; more: boolean }>(
      'ListAudit',
      { afterSeq: query.afterSeq ?? 0, since: query.since ?? '', actor: query.actor ?? '', node: query.node ?? '', action: query.action ?? '', limit: query.limit ?? 0 },
      options,
    );
    return { entries: response.entriesJson.map((json) => JSON.parse(json) as Record<string, unknown>), lastSeq: Number(response.lastSeq), more: response.more };
  }

  /** Walks the daemon's whole audit log; `ok` false names the first bad entry (the daemon records the check). */
  async verifyAudit(options?: CallOptions): Promise<AuditVerificationReport> {
    const r = await this.unary<AuditVerification__Output>('VerifyAudit', {}, options);
    return { ...r, entries: Number(r.entries), firstBadSeq: Number(r.firstBadSeq), lastSeq: Number(r.lastSeq) };
  }

  /** One dispatch by id: PALYRA_E_DISPATCH_NOT_FOUND when the daemon does not know it (any more). */
  async getDispatch(dispatchId: string, options?: CallOptions): Promise<DispatchView> {
    return toDispatchView(await this.unary<DispatchInfo__Output>('GetDispatch', { dispatchId }, options));
  }

  /**
   * Re-attaches to a dispatch by id (after losing the connection, or from another process):
   * yields `accepted` (deduplicated), its state, live output and progress, and ends with the
   * `result`; a finished dispatch yields its recorded result at once. Aborting `signal` stops
   * watching; the dispatch goes on.
   */
  watchDispatch(dispatchId: string, { signal }: { signal?: AbortSignal } = {}): AsyncGenerator<InvocationEvent, void, undefined> {
    return this.follow((client) => readDispatchWatch(client.watchDispatch({ dispatchId }), signal));
  }

  /** Cancels a running dispatch by id; false when it had already finished. */
  async cancelDispatch(dispatchId: string, options?: CallOptions): Promise<boolean> {
    const response = await this.unary<{ cancelled: boolean }>('CancelDispatch', { dispatchId }, options);
    return response.cancelled;
  }

  /**
   * The connection under it is renewed after a daemon restart. Reads are sent again once when
   * the connection died before their answer; a change (a decision, a removal) is not, since
   * the daemon may have made it: that fails with PALYRA_E_DAEMON_UNREACHABLE instead.
   */
  private unary<T>(method: AdminUnaryMethod, request: object, { signal, timeoutMs = 10_000 }: CallOptions = {}): Promise<T> {
    const idempotent = READ_ONLY_METHODS.has(method);
    return this.unaryClient.call<'AdminService', T>('AdminService', method, request, { timeoutMs, idempotent, ...(signal ? { signal } : {}) });
  }

  /** grpc-js and the codecs load on the first streaming call only: unary commands never pay for them. */
  private streamingClient(): Promise<AdminServiceClient> {
    if (this.closed) return Promise.reject(new PalyraError('PALYRA_E_CANCELLED', 'the client is closed'));
    this.streaming ??= (async () => {
      const client = await this.openStreaming();
      if (this.closed) client.close();
      return client;
    })();
    return this.streaming;
  }

  private async *follow<Event>(open: (client: AdminServiceClient) => AsyncGenerator<Event, void, undefined>): AsyncGenerator<Event, void, undefined> {
    yield* open(await this.streamingClient());
  }
}

/** DescribeNode's answer: the node as ListNodes shows it, its last dispatches (newest first), its transport. */
export interface NodeDescriptionView {
  node: NodeInfo__Output;
  lastDispatches: DispatchView[];
  transportDetail: string;
}

type AdminUnaryMethod =
  | 'GetStatus'
  | 'CreatePairingCode'
  | 'ListPending'
  | 'Decide'
  | 'ListNodes'
  | 'RemoveNode'
  | 'LabelNode'
  | 'DescribeNode'
  | 'RenewNodes'
  | 'CancelDispatch'
  | 'ListDispatches'
  | 'GetDispatch'
  | 'RotateCa'
  | 'GetCaStatus'
  | 'FinishCaRotation'
  | 'WhoAmI'
  | 'ListAudit'
  | 'VerifyAudit'
  | 'CreateToken'
  | 'ListTokens'
  | 'RevokeToken';

/** The unary calls that change nothing on the daemon: safe to send twice. */
const READ_ONLY_METHODS: ReadonlySet<AdminUnaryMethod> = new Set(['GetStatus', 'ListPending', 'ListNodes', 'ListDispatches', 'GetDispatch', 'GetCaStatus', 'WhoAmI', 'ListTokens', 'ListAudit', 'DescribeNode']);
