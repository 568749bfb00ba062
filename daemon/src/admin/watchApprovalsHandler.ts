import type * as grpc from '@grpc/grpc-js';
import { toServiceError, type ApprovalsEvent, type NodeInfo, type WatchApprovalsRequest__Output } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import type { NodeRegistry } from '../registry/index.js';
import type { NodeRecord, PairingRequestRecord } from '../registry/types.js';
import type { LiveSession, SessionManager } from '../sessions/SessionManager.js';
import type { DaemonEventType } from '@palyra/shared/quic/protocol';
import type { DaemonEvents } from '../events/DaemonEvents.js';
import { toPendingRequest } from './pendingRequest.js';
import { matchesSelector, parseSelector, type NodeSelector } from '@palyra/shared/selectors';
import { nodePageSize, pageOfNodes, selectorSubjectOf } from './nodePages.js';

type WatchCall = grpc.ServerWritableStream<WatchApprovalsRequest__Output, ApprovalsEvent>;

/** A watcher's stream may hold at most this many unsent events before it is ended as too slow. */
const MAX_QUEUED_EVENTS = 10_000;

/**
 * The open WatchApprovals streams. The admin server ends them when it stops, so a shutdown
 * does not wait out the grace period for operators' TUIs to hang up.
 */
export class ApprovalsWatchers {
  private readonly calls = new Set<WatchCall>();

  add(call: WatchCall): () => void {
    this.calls.add(call);
    return () => {
      this.calls.delete(call);
    };
  }

  get size(): number {
    return this.calls.size;
  }

  /** Ends every open stream with `error` (the watchers see its code). */
  closeAll(error: PalyraError): void {
    for (const call of [...this.calls]) {
      this.calls.delete(call);
      endWithError(call, error);
    }
  }
}

export interface WatchApprovalsDeps {
  registry: NodeRegistry;
  sessions: SessionManager;
  /** The node as ListNodes shows it (status from the live sessions). */
  nodeInfo: (node: NodeRecord) => NodeInfo;
  watchers: ApprovalsWatchers;
  /** The event bus: node certificates renewed, expiring or expired go to the events pane too. */
  events?: DaemonEvents;
  /** Which nodes the call's caller may see (a token limited to some nodes); absent: all. */
  nodeVisibleTo?: (call: object) => ((deviceId: string) => boolean) | undefined;
  /**
   * Which pairing requests (by device id) the call's caller is shown (a token limited to some
   * nodes is not shown those of registered nodes outside its selector); absent: all.
   */
  requestVisibleTo?: (call: object) => ((deviceId: string) => boolean) | undefined;
}

const CERTIFICATE_EVENTS: ReadonlySet<DaemonEventType> = new Set(['cert.renewed', 'cert.expiring', 'cert.expired']);

/**
 * AdminService.WatchApprovals: a snapshot of the pending requests and nodes, then every
 * change as the registry and the session manager report it (no polling). Listeners are
 * attached before the snapshot is read and what they see meanwhile is sent after it, so no
 * change falls between the two; a change may then repeat what the snapshot already shows,
 * which watchers apply idempotently (by request id and device id).
 */
export function createWatchApprovalsHandler(deps: WatchApprovalsDeps): grpc.handleServerStreamingCall<WatchApprovalsRequest__Output, ApprovalsEvent> {
  const { registry, sessions } = deps;
  return (call) => {
    let selector: NodeSelector;
    let pageSize: number;
    try {
      selector = parseSelector(call.request.selector ?? '');
      pageSize = nodePageSize(call.request.pageSize ?? 0);
    } catch (error) {
      endWithError(call, PalyraError.from(error));
      return;
    }
    const byToken = deps.nodeVisibleTo?.(call);
    // The caller's selector narrows the snapshot and the node events as a token's does.
    const visible =
      selector.requirements.length === 0
        ? byToken
        : (deviceId: string): boolean => {
            if (byToken !== undefined && !byToken(deviceId)) return false;
            const node = registry.getNode(deviceId);
            return node !== undefined && matchesSelector(selector, selectorSubjectOf(node, sessions.isOnline(deviceId)));
          };
    const requestVisible = deps.requestVisibleTo?.(call);
    const requestShown = (request: Readonly<PairingRequestRecord>): boolean => requestVisible === undefined || requestVisible(request.deviceId);
    const queued: ApprovalsEvent[] = [];
    let snapshotSent = false;
    let closed = false;

    const send = (event: ApprovalsEvent): void => {
      if (closed || call.cancelled || call.writableEnded) return;
      if (!snapshotSent) {
        queued.push(event);
        if (queued.length > MAX_QUEUED_EVENTS) fail(new PalyraError('PALYRA_E_LIMIT_EXCEEDED', 'too many changes while the snapshot was read: watch again'));
        return;
      }
      call.write(event);
    };
    const onRequest = (request: Readonly<PairingRequestRecord>): void => {
      if (!requestShown(request)) return;
      send({ request: toPendingRequest(request, registry), at: new Date().toISOString() });
    };
    const onSession =
      (status: 'online' | 'offline') =>
      (session: LiveSession): void => {
        if (visible !== undefined && !visible(session.deviceId)) return;
        const node = registry.getNode(session.deviceId);
        send({
          node: {
            deviceId: session.deviceId,
            name: node?.name ?? '',
            platform: node?.platform ?? '',
            status,
            remoteAddress: session.remoteAddress,
          },
          at: new Date().toISOString(),
        });
      };
    const onOnline = onSession('online');
    const onOffline = onSession('offline');

    const stopListening = registry.onRequestChange(onRequest);
    const stopEvents = deps.events?.subscribe({ types: CERTIFICATE_EVENTS }, (event) => {
      if (visible !== undefined && 'deviceId' in event && typeof event.deviceId === 'string' && !visible(event.deviceId)) return;
      send({ event: { type: event.type, eventJson: JSON.stringify(event) }, at: event.at });
    });
    sessions.on('online', onOnline);
    sessions.on('offline', onOffline);
    const forget = deps.watchers.add(call);
    const cleanup = (): void => {
      if (closed) return;
      closed = true;
      stopListening();
      stopEvents?.();
      sessions.off('online', onOnline);
      sessions.off('offline', onOffline);
      forget();
    };
    const fail = (error: unknown): void => {
      if (closed) return;
      cleanup();
      endWithError(call, PalyraError.from(error));
    };
    call.on('cancelled', cleanup);
    call.on('close', cleanup);
    call.on('error', cleanup);

    registry.pendingRequests().then(
      (pending) => {
        if (closed || call.cancelled) return;
        // The nodes in pages of pageSize (more=true until the last): no message grows with the
        // fleet. The pending requests ride the first message (bounded by the registry's cap).
        const nodes = registry.listNodes();
        const at = new Date().toISOString();
        let pageToken = '';
        let first = true;
        do {
          const page = pageOfNodes(nodes, { selector: '', pageSize, pageToken }, {
            ...(visible === undefined ? {} : { visible: (node: Readonly<NodeRecord>) => visible(node.deviceId) }),
            online: (deviceId) => sessions.isOnline(deviceId),
          });
          pageToken = page.nextPageToken;
          call.write({
            snapshot: {
              requests: first ? pending.filter(requestShown).map((r) => toPendingRequest(r, registry)) : [],
              nodes: page.nodes.map(deps.nodeInfo),
              more: pageToken !== '',
            },
            at,
          });
          first = false;
        } while (pageToken !== '');
        snapshotSent = true;
        for (const event of queued.splice(0)) call.write(event);
      },
      fail,
    );
  };
}

function endWithError(call: WatchCall, error: PalyraError): void {
  if (call.cancelled || call.writableEnded) return;
  call.emit('error', toServiceError(error));
}
