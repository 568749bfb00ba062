/**
 * The state behind `palyrad approvals`, as a pure reducer: what the daemon's watch stream
 * reported, which request is selected, and whether a decision is being confirmed or sent.
 * No Ink here; daemon/src/ui renders it.
 */
import { displayText } from '@palyra/shared/text';
import type { ApprovalNode, ApprovalRequest, ApprovalsEvent, RequestOutcome } from '../client/approvals.js';
import { describeCertificateEvent } from '../certificates/certificateText.js';

export type DecisionAction = 'approve' | 'reject';

export type Mode =
  | { kind: 'browse' }
  /** Waiting for y/n on `action` for `requestId`. */
  | { kind: 'confirm'; action: DecisionAction; requestId: string }
  /**
   * The operator said y to approving an identity change (the request claims a registered
   * device id under another key): waiting for a second, different key (R) before replacing.
   */
  | { kind: 'confirm-identity'; action: 'approve'; requestId: string }
  /** The decision was sent; its answer has not come back yet. */
  | { kind: 'deciding'; action: DecisionAction; requestId: string; replaceIdentity: boolean };

export type Connection = 'connecting' | 'live' | 'reconnecting';

export type LogKind =
  | 'request'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'online'
  | 'offline'
  | 'cert-renewed'
  | 'cert-expiring'
  | 'cert-expired'
  | 'info'
  | 'error';

export interface LogLine {
  /** ISO time. */
  at: string;
  kind: LogKind;
  text: string;
}

export interface Notice {
  level: 'info' | 'error';
  text: string;
}

export interface ApprovalsState {
  connection: Connection;
  /** Why the watch was lost (while reconnecting). */
  connectionError: string | null;
  /** Pending requests, oldest first. Strings are safe to print (see printable()). */
  requests: ApprovalRequest[];
  /** Registered nodes by name. */
  nodes: ApprovalNode[];
  selectedId: string | null;
  mode: Mode;
  /** The one-line answer to the operator's last action (or what interrupted it). */
  notice: Notice | null;
  /** What happened, oldest first, at most MAX_LOG lines. */
  log: LogLine[];
  /** Set once the first snapshot arrived. */
  synced: boolean;
}

export type ApprovalsAction =
  | { type: 'feed'; event: ApprovalsEvent }
  | { type: 'connection-lost'; message: string; at: string }
  | { type: 'move'; delta: number }
  | { type: 'move-to'; position: 'first' | 'last' }
  /** `a` or `r`: ask to confirm the action on the selected request. */
  | { type: 'ask'; action: DecisionAction }
  /** `n` / Esc while confirming. */
  | { type: 'cancel' }
  /**
   * `y` while confirming: the decision goes out (the UI sends it when the mode turns
   * `deciding`), except approving an identity change, which asks a second time.
   */
  | { type: 'confirm' }
  /** `R` at the second confirmation of an identity change: approve it, replacing the node's key. */
  | { type: 'confirm-replace' }
  | { type: 'decision-done'; action: DecisionAction; request: ApprovalRequest }
  | { type: 'decision-failed'; action: DecisionAction; requestId: string; code: string; message: string };

export const MAX_LOG = 100;

export const initialApprovalsState: ApprovalsState = {
  connection: 'connecting',
  connectionError: null,
  requests: [],
  nodes: [],
  selectedId: null,
  mode: { kind: 'browse' },
  notice: null,
  log: [],
  synced: false,
};

export function approvalsReducer(state: ApprovalsState, action: ApprovalsAction): ApprovalsState {
  switch (action.type) {
    case 'feed':
      return applyEvent(state, action.event);
    case 'connection-lost':
      return {
        ...state,
        connection: 'reconnecting',
        connectionError: printable(action.message),
        // A decision in flight still gets its answer; a confirmation cannot be trusted any more.
        mode: isConfirming(state.mode) ? { kind: 'browse' } : state.mode,
        // One line per outage, not one per failed retry.
        log:
          state.connection === 'reconnecting'
            ? state.log
            : appendLog(state.log, { at: action.at, kind: 'error', text: `lost the daemon: ${printable(action.message)}; retrying` }),
      };
    case 'move': {
      if (isConfirming(state.mode) || state.requests.length === 0) return state;
      const index = Math.max(0, selectedIndex(state));
      const next = clamp(index + action.delta, 0, state.requests.length - 1);
      return { ...state, selectedId: state.requests[next]?.requestId ?? null };
    }
    case 'move-to': {
      if (isConfirming(state.mode) || state.requests.length === 0) return state;
      const request = action.position === 'first' ? state.requests[0] : state.requests[state.requests.length - 1];
      return { ...state, selectedId: request?.requestId ?? null };
    }
    case 'ask': {
      if (state.mode.kind !== 'browse') return state;
      if (state.connection !== 'live') {
        return { ...state, notice: { level: 'error', text: 'not connected to the daemon: the list may be stale, wait until it is live again' } };
      }
      const request = selectedRequest(state);
      if (request === undefined) return { ...state, notice: { level: 'error', text: 'no pending request to decide' } };
      return { ...state, mode: { kind: 'confirm', action: action.action, requestId: request.requestId }, notice: null };
    }
    case 'cancel':
      if (!isConfirming(state.mode)) return state;
      return { ...state, mode: { kind: 'browse' }, notice: { level: 'info', text: 'cancelled: nothing was decided' } };
    case 'confirm': {
      if (state.mode.kind !== 'confirm') return state;
      const { action: decision, requestId } = state.mode;
      if (decision === 'approve' && targetRequest(state)?.identityChange === true) {
        return { ...state, mode: { kind: 'confirm-identity', action: 'approve', requestId }, notice: null };
      }
      return { ...state, mode: { kind: 'deciding', action: decision, requestId, replaceIdentity: false }, notice: null };
    }
    case 'confirm-replace':
      if (state.mode.kind !== 'confirm-identity') return state;
      return { ...state, mode: { kind: 'deciding', action: 'approve', requestId: state.mode.requestId, replaceIdentity: true }, notice: null };
    case 'decision-done': {
      const request = sanitizeRequest(action.request);
      const text =
        action.action === 'approve'
          ? `approved ${request.name}: the node receives its certificate`
          : `rejected ${request.name}: the node is told so`;
      return { ...removeRequest(state, request.requestId), mode: { kind: 'browse' }, notice: { level: 'info', text } };
    }
    case 'decision-failed': {
      const name = state.requests.find((r) => r.requestId === action.requestId)?.name ?? action.requestId;
      // Not pending any more (decided elsewhere, expired): the row is stale whatever the stream says.
      const base = action.code === 'PALYRA_E_REQUEST_NOT_FOUND' ? removeRequest(state, action.requestId) : state;
      return {
        ...base,
        mode: { kind: 'browse' },
        notice: { level: 'error', text: `could not ${action.action} ${name}: ${action.code}: ${printable(action.message)}` },
      };
    }
  }
}

function applyEvent(state: ApprovalsState, event: ApprovalsEvent): ApprovalsState {
  switch (event.type) {
    case 'snapshot': {
      const requests = event.requests.filter((r) => r.state === 'pending_approval').map(sanitizeRequest);
      const nodes = sortNodes(event.nodes.map(sanitizeNode));
      let next: ApprovalsState = {
        ...state,
        connection: 'live',
        connectionError: null,
        requests,
        nodes,
        synced: true,
        selectedId: requests.some((r) => r.requestId === state.selectedId) ? state.selectedId : (requests[0]?.requestId ?? null),
      };
      if (state.synced) next = { ...next, log: appendLog(next.log, { at: event.at, kind: 'info', text: 'reconnected' }) };
      const target = modeTarget(state.mode);
      if (target !== undefined && !requests.some((r) => r.requestId === target) && isConfirming(state.mode)) {
        next = { ...next, mode: { kind: 'browse' }, notice: { level: 'error', text: 'that request is no longer pending' } };
      }
      return next;
    }
    case 'request-added': {
      const request = sanitizeRequest(event.request);
      const existing = state.requests.findIndex((r) => r.requestId === request.requestId);
      if (existing >= 0) {
        const requests = [...state.requests];
        requests[existing] = request;
        return { ...state, requests };
      }
      const requests = [...state.requests, request].sort((a, b) => Date.parse(a.requestedAt) - Date.parse(b.requestedAt));
      return {
        ...state,
        requests,
        selectedId: state.selectedId ?? request.requestId,
        log: appendLog(state.log, {
          at: event.at,
          kind: 'request',
          text: `request ${request.name} (${request.platform}) from ${request.remoteAddress || '?'}, SAS ${request.sas}${request.repair ? ', re-pair' : ''}${request.identityChange ? ', IDENTITY CHANGE of a registered device' : ''}`,
        }),
      };
    }
    case 'request-decided': {
      const request = sanitizeRequest(event.request);
      const known = state.requests.find((r) => r.requestId === request.requestId);
      let next = removeRequest(state, request.requestId);
      next = { ...next, log: appendLog(next.log, { at: event.at, kind: event.outcome, text: decidedText(request.name, event.outcome) }) };
      if (event.outcome === 'approved' && !next.nodes.some((n) => n.deviceId === request.deviceId)) {
        next = {
          ...next,
          nodes: sortNodes([...next.nodes, { deviceId: request.deviceId, name: request.name, platform: request.platform, status: 'offline', remoteAddress: '' }]),
        };
      }
      // The request the operator is confirming was decided by someone else (or expired).
      if (known !== undefined && isConfirming(state.mode) && state.mode.requestId === request.requestId) {
        next = {
          ...next,
          mode: { kind: 'browse' },
          notice: {
            level: 'error',
            text:
              event.outcome === 'expired'
                ? `${request.name}'s request expired before a decision: the node must join again`
                : `${request.name} was ${event.outcome} elsewhere (another operator or the CLI): nothing to do`,
          },
        };
      }
      return next;
    }
    case 'node-online':
    case 'node-offline': {
      const incoming = sanitizeNode(event.node);
      const previous = state.nodes.find((n) => n.deviceId === incoming.deviceId);
      const node: ApprovalNode = {
        ...incoming,
        name: incoming.name || previous?.name || incoming.deviceId,
        platform: incoming.platform || previous?.platform || '',
      };
      const nodes = sortNodes([...state.nodes.filter((n) => n.deviceId !== node.deviceId), node]);
      const text = node.status === 'online' ? `online  ${node.name}${node.remoteAddress ? ` from ${node.remoteAddress}` : ''}` : `offline ${node.name}`;
      return { ...state, nodes, log: appendLog(state.log, { at: event.at, kind: node.status, text }) };
    }
    case 'certificate': {
      // describeCertificateEvent makes the node's name printable.
      const kind = event.event.type === 'cert.renewed' ? 'cert-renewed' : event.event.type === 'cert.expiring' ? 'cert-expiring' : 'cert-expired';
      return { ...state, log: appendLog(state.log, { at: event.at, kind, text: describeCertificateEvent(event.event) }) };
    }
  }
}

function decidedText(name: string, outcome: RequestOutcome): string {
  switch (outcome) {
    case 'approved':
      return `approved ${name}`;
    case 'rejected':
      return `rejected ${name}`;
    case 'expired':
      return `expired ${name} (no decision in time)`;
  }
}

/** Removes a request; the selection stays on the same row number (or the last row). */
function removeRequest(state: ApprovalsState, requestId: string): ApprovalsState {
  const index = state.requests.findIndex((r) => r.requestId === requestId);
  if (index < 0) return state;
  const requests = state.requests.filter((r) => r.requestId !== requestId);
  let selectedId = state.selectedId;
  if (selectedId === requestId) selectedId = requests[Math.min(index, requests.length - 1)]?.requestId ?? null;
  return { ...state, requests, selectedId };
}

/** Waiting for the operator's y/n (or, for an identity change, R/n): nothing was sent yet. */
export function isConfirming(mode: Mode): mode is Extract<Mode, { kind: 'confirm' | 'confirm-identity' }> {
  return mode.kind === 'confirm' || mode.kind === 'confirm-identity';
}

function modeTarget(mode: Mode): string | undefined {
  return mode.kind === 'browse' ? undefined : mode.requestId;
}

function appendLog(log: LogLine[], line: LogLine): LogLine[] {
  const next = [...log, line];
  return next.length > MAX_LOG ? next.slice(next.length - MAX_LOG) : next;
}

function sortNodes(nodes: ApprovalNode[]): ApprovalNode[] {
  return nodes.sort((a, b) => a.name.localeCompare(b.name) || a.deviceId.localeCompare(b.deviceId));
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

// ------------------------------------------------------------------ selectors

export function selectedIndex(state: ApprovalsState): number {
  return state.requests.findIndex((r) => r.requestId === state.selectedId);
}

export function selectedRequest(state: ApprovalsState): ApprovalRequest | undefined {
  return state.requests.find((r) => r.requestId === state.selectedId);
}

/** The request a confirmation or a decision in flight is about. */
export function targetRequest(state: ApprovalsState): ApprovalRequest | undefined {
  const id = modeTarget(state.mode);
  return id === undefined ? undefined : state.requests.find((r) => r.requestId === id);
}

export function onlineCount(state: ApprovalsState): number {
  return state.nodes.filter((n) => n.status === 'online').length;
}

// ------------------------------------------------------------------ what is safe to print

/**
 * Node-supplied text made safe for a terminal (escape sequences could rewrite the operator's
 * screen, a fake SAS included; bidi overrides reorder what is shown): the one escaper every
 * text printer uses, see displayText.
 */
export const printable = displayText;

function sanitizeRequest(r: ApprovalRequest): ApprovalRequest {
  return {
    ...r,
    name: printable(r.name),
    platform: printable(r.platform),
    hostname: printable(r.hostname),
    remoteAddress: printable(r.remoteAddress),
    sas: printable(r.sas),
  };
}

function sanitizeNode(n: ApprovalNode): ApprovalNode {
  return { ...n, name: printable(n.name), platform: printable(n.platform), remoteAddress: printable(n.remoteAddress) };
}
