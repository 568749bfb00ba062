import type * as grpc from '@grpc/grpc-js';
import { readWatchStream } from './watchStream.js';
import type { ApprovalsEvent__Output, NodeInfo__Output, PendingRequest__Output } from '@palyra/proto';
import type { PairingRequestState } from '../registry/types.js';
import { isCertificateEvent, type CertificateEvent } from '../certificates/certificateText.js';
import { parseDaemonEvent } from './events.js';

/** A pairing request as a watcher sees it. Times are ISO-8601 strings. */
export interface ApprovalRequest {
  requestId: string;
  deviceId: string;
  name: string;
  platform: string;
  hostname: string;
  remoteAddress: string;
  /** The confirmation code the node printed; the operator compares the two. */
  sas: string;
  requestedAt: string;
  expiresAt: string;
  /** The identity key belongs to a device paired before (its old certificate is revoked on approval). */
  repair: boolean;
  /**
   * The device id is registered under another identity key: approving replaces that node
   * (needs replaceIdentity). `previousKeyFingerprint` is the registered key's, '' otherwise.
   */
  identityChange: boolean;
  keyFingerprint: string;
  previousKeyFingerprint: string;
  state: PairingRequestState;
}

/** A registered node as a watcher sees it. */
export interface ApprovalNode {
  deviceId: string;
  name: string;
  platform: string;
  status: 'online' | 'offline';
  /** Where its live session comes from; '' in a snapshot. */
  remoteAddress: string;
}

export type RequestOutcome = 'approved' | 'rejected' | 'expired';

/** What `ControlClient.watchApprovals()` yields: one snapshot first, then changes. `at`: when the daemon saw it. */
export type ApprovalsEvent =
  | { type: 'snapshot'; requests: ApprovalRequest[]; nodes: ApprovalNode[]; at: string }
  | { type: 'request-added'; request: ApprovalRequest; at: string }
  | { type: 'request-decided'; request: ApprovalRequest; outcome: RequestOutcome; at: string }
  | { type: 'node-online' | 'node-offline'; node: ApprovalNode; at: string }
  /** A node certificate renewed, expiring or expired (for the events pane). */
  | { type: 'certificate'; event: CertificateEvent; at: string };

/**
 * Turns an AdminService.WatchApprovals stream into typed events. The stream never ends by
 * itself: aborting `signal` (or leaving the loop) ends the iteration quietly; a daemon that
 * goes away ends it with PALYRA_E_DAEMON_UNREACHABLE.
 */
export function readApprovals(
  call: grpc.ClientReadableStream<ApprovalsEvent__Output>,
  signal?: AbortSignal,
): AsyncGenerator<ApprovalsEvent, void, undefined> {
  return readWatchStream(call, snapshotAssembler(), 'the approvals watch', signal);
}

/**
 * The daemon sends its snapshot in pages (ApprovalsSnapshot.more until the last): this joins
 * them into the one snapshot event watchers (the TUI) expect, then converts events as they come.
 */
export function snapshotAssembler(): (message: ApprovalsEvent__Output) => ApprovalsEvent | undefined {
  let parts: { requests: ApprovalRequest[]; nodes: ApprovalNode[] } | undefined;
  return (message) => {
    if (message.body !== 'snapshot' || !message.snapshot) return toApprovalsEvent(message);
    const requests = message.snapshot.requests.map(toApprovalRequest);
    const nodes = message.snapshot.nodes.map(toApprovalNode);
    if (parts === undefined) parts = { requests, nodes };
    else {
      parts.requests.push(...requests);
      for (const node of nodes) parts.nodes.push(node);
    }
    if (message.snapshot.more) return undefined;
    const whole = parts;
    parts = undefined;
    return { type: 'snapshot', requests: whole.requests, nodes: whole.nodes, at: message.at };
  };
}

export function toApprovalsEvent(message: ApprovalsEvent__Output): ApprovalsEvent | undefined {
  const at = message.at;
  switch (message.body) {
    case 'snapshot':
      return message.snapshot
        ? { type: 'snapshot', requests: message.snapshot.requests.map(toApprovalRequest), nodes: message.snapshot.nodes.map(toApprovalNode), at }
        : undefined;
    case 'request': {
      if (!message.request) return undefined;
      const request = toApprovalRequest(message.request);
      return request.state === 'pending_approval'
        ? { type: 'request-added', request, at }
        : { type: 'request-decided', request, outcome: request.state, at };
    }
    case 'node': {
      const node = message.node;
      if (!node) return undefined;
      const status = node.status === 'online' ? 'online' : 'offline';
      return {
        type: status === 'online' ? 'node-online' : 'node-offline',
        node: { deviceId: node.deviceId, name: node.name, platform: node.platform, status, remoteAddress: node.remoteAddress },
        at,
      };
    }
    case 'event': {
      const event = parseDaemonEvent(message.event);
      return event !== undefined && isCertificateEvent(event) ? { type: 'certificate', event, at } : undefined;
    }
    default:
      return undefined;
  }
}

export function toApprovalRequest(r: PendingRequest__Output): ApprovalRequest {
  return {
    requestId: r.requestId,
    deviceId: r.deviceId,
    name: r.name,
    platform: r.platform,
    hostname: r.hostname,
    remoteAddress: r.remoteAddress,
    sas: r.sas,
    requestedAt: r.requestedAt,
    expiresAt: r.expiresAt,
    repair: r.repair,
    identityChange: r.identityChange,
    keyFingerprint: r.keyFingerprint,
    previousKeyFingerprint: r.previousKeyFingerprint,
    state: isRequestState(r.state) ? r.state : 'pending_approval',
  };
}

function toApprovalNode(n: NodeInfo__Output): ApprovalNode {
  return { deviceId: n.deviceId, name: n.name, platform: n.platform, status: n.status === 'online' ? 'online' : 'offline', remoteAddress: '' };
}

function isRequestState(state: string): state is PairingRequestState {
  return state === 'pending_approval' || state === 'approved' || state === 'rejected' || state === 'expired';
}
