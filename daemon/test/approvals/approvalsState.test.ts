import { describe, expect, it } from 'vitest';
import type { ApprovalRequest, ApprovalsEvent } from '../../src/client/approvals.js';
import {
  approvalsReducer,
  initialApprovalsState,
  MAX_LOG,
  onlineCount,
  printable,
  selectedRequest,
  targetRequest,
  type ApprovalsAction,
  type ApprovalsState,
} from '../../src/approvals/approvalsState.js';
import { approvalsLayout, formatAge, listWindow, moreLabel } from '../../src/approvals/approvalsLayout.js';

const AT = '2025-01-01T12:00:00.000Z';

function request(n: number, extra: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    requestId: `req-${n}`,
    deviceId: `dev-${n}`,
    name: `node-${n}`,
    platform: 'linux-x64',
    hostname: `host-${n}`,
    remoteAddress: `10.0.0.${n}:5000`,
    sas: `AAAA-000${n}`,
    requestedAt: new Date(Date.parse(AT) + n * 1000).toISOString(),
    expiresAt: new Date(Date.parse(AT) + 900_000).toISOString(),
    repair: false,
    identityChange: false,
    keyFingerprint: 'new-key-fingerprint-22',
    previousKeyFingerprint: '',
    state: 'pending_approval',
    ...extra,
  };
}

function run(...actions: ApprovalsAction[]): ApprovalsState {
  return actions.reduce(approvalsReducer, initialApprovalsState);
}

const feed = (event: ApprovalsEvent): ApprovalsAction => ({ type: 'feed', event });
const snapshot = (requests: ApprovalRequest[], nodes: Extract<ApprovalsEvent, { type: 'snapshot' }>['nodes'] = []): ApprovalsAction =>
  feed({ type: 'snapshot', requests, nodes, at: AT });
const added = (r: ApprovalRequest): ApprovalsAction => feed({ type: 'request-added', request: r, at: AT });
const decided = (r: ApprovalRequest, outcome: 'approved' | 'rejected' | 'expired'): ApprovalsAction =>
  feed({ type: 'request-decided', request: { ...r, state: outcome }, outcome, at: AT });

describe('approvalsReducer', () => {
  it('starts connecting and goes live with the snapshot, selecting the oldest request', () => {
    expect(initialApprovalsState.connection).toBe('connecting');
    const state = run(snapshot([request(1), request(2)], [
      { deviceId: 'd1', name: 'beta', platform: 'linux-x64', status: 'online', remoteAddress: '' },
      { deviceId: 'd2', name: 'alpha', platform: 'linux-x64', status: 'offline', remoteAddress: '' },
    ]));
    expect(state).toMatchObject({ connection: 'live', synced: true, selectedId: 'req-1' });
    expect(state.requests.map((r) => r.requestId)).toEqual(['req-1', 'req-2']);
    expect(state.nodes.map((n) => n.name)).toEqual(['alpha', 'beta']);
    expect(onlineCount(state)).toBe(1);
    expect(state.log).toEqual([]);
  });

  it('ignores anything but pending requests in a snapshot', () => {
    const state = run(snapshot([request(1, { state: 'approved' }), request(2)]));
    expect(state.requests.map((r) => r.requestId)).toEqual(['req-2']);
  });

  it('adds requests in age order, logs them, and selects the first when nothing was selected', () => {
    const state = run(snapshot([]), added(request(3)), added(request(1)));
    expect(state.requests.map((r) => r.requestId)).toEqual(['req-1', 'req-3']);
    expect(state.selectedId).toBe('req-3');
    expect(state.log.map((l) => l.kind)).toEqual(['request', 'request']);
    expect(state.log[0]?.text).toContain('SAS AAAA-0003');
  });

  it('applies a repeated add idempotently (a change seen by the snapshot and the stream)', () => {
    const state = run(snapshot([request(1)]), added(request(1)));
    expect(state.requests).toHaveLength(1);
    expect(state.log).toEqual([]);
  });

  it('moves the selection with clamping, and to the first and last rows', () => {
    let state = run(snapshot([request(1), request(2), request(3)]));
    state = approvalsReducer(state, { type: 'move', delta: 1 });
    expect(selectedRequest(state)?.requestId).toBe('req-2');
    state = approvalsReducer(state, { type: 'move', delta: 10 });
    expect(selectedRequest(state)?.requestId).toBe('req-3');
    state = approvalsReducer(state, { type: 'move', delta: -10 });
    expect(selectedRequest(state)?.requestId).toBe('req-1');
    state = approvalsReducer(state, { type: 'move-to', position: 'last' });
    expect(selectedRequest(state)?.requestId).toBe('req-3');
    expect(approvalsReducer(run(snapshot([])), { type: 'move', delta: 1 }).selectedId).toBeNull();
  });

  it('keeps the selection on the same request when rows above it come and go', () => {
    let state = run(snapshot([request(2), request(3)]), { type: 'move', delta: 1 });
    expect(state.selectedId).toBe('req-3');
    state = approvalsReducer(state, added(request(1)));
    expect(state.selectedId).toBe('req-3');
    state = approvalsReducer(state, decided(request(2), 'rejected'));
    expect(state.selectedId).toBe('req-3');
  });

  it('moves the selection to the next row when the selected request goes, or the last one', () => {
    let state = run(snapshot([request(1), request(2), request(3)]), { type: 'move', delta: 1 });
    state = approvalsReducer(state, decided(request(2), 'approved'));
    expect(state.selectedId).toBe('req-3');
    state = approvalsReducer(state, decided(request(3), 'expired'));
    expect(state.selectedId).toBe('req-1');
    state = approvalsReducer(state, decided(request(1), 'expired'));
    expect(state.selectedId).toBeNull();
  });

  it('asks before approving: a, then y sends; the answer removes the row and says so', () => {
    let state = run(snapshot([request(1)]), { type: 'ask', action: 'approve' });
    expect(state.mode).toEqual({ kind: 'confirm', action: 'approve', requestId: 'req-1' });
    expect(targetRequest(state)?.name).toBe('node-1');
    state = approvalsReducer(state, { type: 'confirm' });
    expect(state.mode).toEqual({ kind: 'deciding', action: 'approve', requestId: 'req-1', replaceIdentity: false });
    state = approvalsReducer(state, { type: 'decision-done', action: 'approve', request: { ...request(1), state: 'approved' } });
    expect(state.mode).toEqual({ kind: 'browse' });
    expect(state.requests).toEqual([]);
    expect(state.notice).toEqual({ level: 'info', text: expect.stringContaining('approved node-1') });
  });

  it('asks a second time, with R, before approving an identity change; y alone never sends it', () => {
    const change = request(1, { identityChange: true, previousKeyFingerprint: 'old-key-fingerprint-22' });
    let state = run(snapshot([change]), { type: 'ask', action: 'approve' }, { type: 'confirm' });
    expect(state.mode).toEqual({ kind: 'confirm-identity', action: 'approve', requestId: 'req-1' });
    // A second y (typed twice, or pasted) does nothing; moves are ignored.
    state = approvalsReducer(state, { type: 'confirm' });
    state = approvalsReducer(state, { type: 'move', delta: 1 });
    expect(state.mode).toEqual({ kind: 'confirm-identity', action: 'approve', requestId: 'req-1' });
    state = approvalsReducer(state, { type: 'confirm-replace' });
    expect(state.mode).toEqual({ kind: 'deciding', action: 'approve', requestId: 'req-1', replaceIdentity: true });

    // n at the second question cancels; rejecting an identity change needs no second question.
    state = run(snapshot([change]), { type: 'ask', action: 'approve' }, { type: 'confirm' }, { type: 'cancel' });
    expect(state.mode).toEqual({ kind: 'browse' });
    expect(state.notice?.text).toContain('cancelled');
    state = run(snapshot([change]), { type: 'ask', action: 'reject' }, { type: 'confirm' });
    expect(state.mode).toEqual({ kind: 'deciding', action: 'reject', requestId: 'req-1', replaceIdentity: false });
    // R outside the second question does nothing.
    state = run(snapshot([request(2)]), { type: 'ask', action: 'approve' }, { type: 'confirm-replace' });
    expect(state.mode).toEqual({ kind: 'confirm', action: 'approve', requestId: 'req-2' });
  });

  it('cancels a confirmation with n (nothing is sent) and ignores moves and new asks meanwhile', () => {
    let state = run(snapshot([request(1), request(2)]), { type: 'ask', action: 'reject' });
    state = approvalsReducer(state, { type: 'move', delta: 1 });
    state = approvalsReducer(state, { type: 'ask', action: 'approve' });
    expect(state.mode).toEqual({ kind: 'confirm', action: 'reject', requestId: 'req-1' });
    state = approvalsReducer(state, { type: 'cancel' });
    expect(state.mode).toEqual({ kind: 'browse' });
    expect(state.notice?.text).toContain('cancelled');
    expect(state.requests).toHaveLength(2);
  });

  it('ignores y and n outside a confirmation', () => {
    const state = run(snapshot([request(1)]));
    expect(approvalsReducer(state, { type: 'confirm' })).toBe(state);
    expect(approvalsReducer(state, { type: 'cancel' })).toBe(state);
  });

  it('says so when there is nothing to decide', () => {
    const state = run(snapshot([]), { type: 'ask', action: 'approve' });
    expect(state.mode.kind).toBe('browse');
    expect(state.notice).toMatchObject({ level: 'error', text: 'no pending request to decide' });
  });

  it('ends a confirmation at once when another operator decides that request', () => {
    let state = run(snapshot([request(1), request(2)]), { type: 'ask', action: 'approve' });
    state = approvalsReducer(state, decided(request(1), 'rejected'));
    expect(state.mode.kind).toBe('browse');
    expect(state.requests.map((r) => r.requestId)).toEqual(['req-2']);
    expect(state.notice).toMatchObject({ level: 'error', text: expect.stringContaining('node-1 was rejected elsewhere') });
    expect(state.log.at(-1)).toMatchObject({ kind: 'rejected', text: 'rejected node-1' });
  });

  it('says a request expired while it was being confirmed', () => {
    const state = run(snapshot([request(1)]), { type: 'ask', action: 'approve' }, decided(request(1), 'expired'));
    expect(state.notice?.text).toContain("node-1's request expired");
  });

  it('keeps its own decision in flight when the stream reports it first', () => {
    let state = run(snapshot([request(1)]), { type: 'ask', action: 'approve' }, { type: 'confirm' });
    state = approvalsReducer(state, decided(request(1), 'approved'));
    expect(state.mode.kind).toBe('deciding');
    expect(state.notice).toBeNull();
    state = approvalsReducer(state, { type: 'decision-done', action: 'approve', request: { ...request(1), state: 'approved' } });
    expect(state.notice?.level).toBe('info');
  });

  it('shows a failed decision inline and drops a row that is no longer pending', () => {
    let state = run(snapshot([request(1), request(2)]), { type: 'ask', action: 'approve' }, { type: 'confirm' });
    state = approvalsReducer(state, {
      type: 'decision-failed',
      action: 'approve',
      requestId: 'req-1',
      code: 'PALYRA_E_REQUEST_NOT_FOUND',
      message: 'pairing request req-1 is no longer pending: it was approved at ...',
    });
    expect(state.mode.kind).toBe('browse');
    expect(state.requests.map((r) => r.requestId)).toEqual(['req-2']);
    expect(state.notice).toMatchObject({ level: 'error', text: expect.stringContaining('could not approve node-1: PALYRA_E_REQUEST_NOT_FOUND') });

    const other = approvalsReducer(run(snapshot([request(1)]), { type: 'ask', action: 'reject' }, { type: 'confirm' }), {
      type: 'decision-failed',
      action: 'reject',
      requestId: 'req-1',
      code: 'PALYRA_E_DAEMON_UNREACHABLE',
      message: 'gone',
    });
    expect(other.requests).toHaveLength(1);
  });

  it('tracks nodes going online and offline, logging each', () => {
    let state = run(snapshot([], [{ deviceId: 'd1', name: 'box', platform: 'linux-x64', status: 'offline', remoteAddress: '' }]));
    state = approvalsReducer(state, feed({ type: 'node-online', node: { deviceId: 'd1', name: 'box', platform: 'linux-x64', status: 'online', remoteAddress: '10.0.0.9:4000' }, at: AT }));
    expect(onlineCount(state)).toBe(1);
    expect(state.log.at(-1)).toMatchObject({ kind: 'online', text: 'online  box from 10.0.0.9:4000' });
    state = approvalsReducer(state, feed({ type: 'node-offline', node: { deviceId: 'd1', name: '', platform: '', status: 'offline', remoteAddress: '' }, at: AT }));
    expect(onlineCount(state)).toBe(0);
    expect(state.nodes).toHaveLength(1);
    expect(state.nodes[0]?.name).toBe('box');
    expect(state.log.at(-1)).toMatchObject({ kind: 'offline', text: 'offline box' });
  });

  it('lists an approved node (offline until it runs)', () => {
    const state = run(snapshot([request(1)]), decided(request(1), 'approved'));
    expect(state.nodes).toEqual([{ deviceId: 'dev-1', name: 'node-1', platform: 'linux-x64', status: 'offline', remoteAddress: '' }]);
  });

  it('reports a lost stream, drops an open confirmation, and recovers with the next snapshot', () => {
    let state = run(snapshot([request(1)]), { type: 'ask', action: 'approve' });
    state = approvalsReducer(state, { type: 'connection-lost', message: 'the daemon is shutting down', at: AT });
    expect(state).toMatchObject({ connection: 'reconnecting', connectionError: 'the daemon is shutting down', mode: { kind: 'browse' } });
    // Retries that fail again update the reason without filling the log.
    state = approvalsReducer(state, { type: 'connection-lost', message: 'cannot reach the daemon', at: AT });
    expect(state.connectionError).toBe('cannot reach the daemon');
    // The list may be stale: no decisions until live again.
    state = approvalsReducer(state, { type: 'ask', action: 'approve' });
    expect(state.mode.kind).toBe('browse');
    expect(state.notice?.text).toContain('not connected to the daemon');
    state = approvalsReducer(state, snapshot([request(2)]));
    expect(state).toMatchObject({ connection: 'live', connectionError: null, selectedId: 'req-2' });
    expect(state.log.map((l) => l.text)).toEqual(['lost the daemon: the daemon is shutting down; retrying', 'reconnected']);
  });

  it('keeps at most MAX_LOG log lines', () => {
    let state = run(snapshot([]));
    for (let i = 0; i < MAX_LOG + 20; i += 1) {
      state = approvalsReducer(state, feed({ type: 'node-online', node: { deviceId: `d${i}`, name: `n${i}`, platform: '', status: 'online', remoteAddress: '' }, at: AT }));
    }
    expect(state.log).toHaveLength(MAX_LOG);
    expect(state.log.at(-1)?.text).toContain(`n${MAX_LOG + 19}`);
  });

  it('makes node-supplied text safe to print', () => {
    const evil = request(1, { name: 'evil\u001b[2J\u009b31m\u202eboss', sas: 'AAAA-0001' });
    const state = run(snapshot([]), added(evil));
    expect(state.requests[0]?.name).toBe('evil\\u{1b}[2J\\u{9b}31m\\u{202e}boss');
    // eslint-disable-next-line no-control-regex
    expect(state.log[0]?.text).not.toMatch(/[\u001b\u009b\u202e]/);
    expect(printable('plain name-1.local')).toBe('plain name-1.local');
  });
});

describe('approvalsLayout', () => {
  it('fits 80x24 with one spare line and a name column of useful width', () => {
    const layout = approvalsLayout({ columns: 80, rows: 24 });
    expect(layout.listLines + layout.logLines + 8).toBe(23);
    expect(layout.logLines).toBeGreaterThanOrEqual(3);
    const c = layout.columns;
    expect(c.marker + c.name + c.platform + c.address + c.sas + c.age + c.flag).toBe(layout.innerWidth);
    expect(layout.innerWidth).toBe(78);
    expect(c.name).toBeGreaterThanOrEqual(16);
    expect(c.address).toBeGreaterThan(0);
  });

  it('drops the address, then the platform, in narrow terminals but never the SAS', () => {
    const narrow = approvalsLayout({ columns: 60, rows: 24 }).columns;
    expect(narrow.address).toBe(0);
    expect(narrow.sas).toBe(10);
    const tiny = approvalsLayout({ columns: 40, rows: 12 });
    expect(tiny.columns.platform).toBe(0);
    expect(tiny.columns.sas).toBe(10);
    expect(tiny.listLines).toBeGreaterThanOrEqual(2);
  });
});

describe('listWindow', () => {
  it('shows everything that fits', () => {
    expect(listWindow(3, 0, 5)).toEqual({ start: 0, end: 3, hiddenAbove: 0, hiddenBelow: 0 });
  });

  it('keeps a line for "+N more" and scrolls to keep the selection visible', () => {
    const top = listWindow(20, 0, 5);
    expect(top).toEqual({ start: 0, end: 4, hiddenAbove: 0, hiddenBelow: 16 });
    expect(moreLabel(top)).toBe('+16 more');
    const middle = listWindow(20, 10, 5);
    expect(middle.start).toBeLessThanOrEqual(10);
    expect(middle.end).toBeGreaterThan(10);
    expect(moreLabel(middle)).toBe(`+16 more (${middle.hiddenAbove} above, ${middle.hiddenBelow} below)`);
    const bottom = listWindow(20, 19, 5);
    expect(bottom).toEqual({ start: 16, end: 20, hiddenAbove: 16, hiddenBelow: 0 });
    expect(moreLabel(bottom)).toBe('+16 more above');
  });
});

describe('formatAge', () => {
  it.each([
    [-5, '0s'],
    [0, '0s'],
    [42_900, '42s'],
    [187_000, '3m07s'],
    [2 * 3_600_000 + 5 * 60_000, '2h05m'],
    [3 * 86_400_000 + 4 * 3_600_000, '3d04h'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});
