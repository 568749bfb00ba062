/**
 * Rendering of the approvals TUI with ink-testing-library, fed by a scripted source (no
 * daemon): layout at 80x24, truncation, "+N more", ticking ages, keys and notices. The same
 * app against a real daemon is in test/integration/approvalsTui.test.ts.
 */
import { render, cleanup } from 'ink-testing-library';
import { createElement } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApprovalNode, ApprovalRequest, ApprovalsEvent } from '../../src/client/approvals.js';
import { ApprovalsApp, type ApprovalsAppProps } from '../../src/ui/ApprovalsApp.js';
import { FakeApprovalsSource, KEYS, lineWidths, plain, settle, waitForFrame } from './helpers.js';

const T0 = Date.parse('2025-01-01T12:00:00.000Z');
const SIZE = { columns: 80, rows: 24 };

function request(n: number, extra: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    requestId: `req-${n}`,
    deviceId: `dev-${n}`,
    name: `node-${n}`,
    platform: 'linux-x64',
    hostname: `host-${n}`,
    remoteAddress: `10.0.0.${n}:5000${n % 10}`,
    sas: `K7QX-P${n.toString().padStart(3, '0')}`,
    requestedAt: new Date(T0 - (100 - n) * 1000).toISOString(), // node-1 is the oldest
    expiresAt: new Date(T0 + 900_000).toISOString(),
    repair: false,
    identityChange: false,
    keyFingerprint: `key-${n}-fingerprint-xxxxx`.slice(0, 22),
    previousKeyFingerprint: '',
    state: 'pending_approval',
    ...extra,
  };
}

const node = (deviceId: string, name: string, status: 'online' | 'offline', remoteAddress = ''): ApprovalNode => ({
  deviceId,
  name,
  platform: 'linux-x64',
  status,
  remoteAddress,
});

function snapshot(requests: ApprovalRequest[], nodes: ApprovalNode[] = []): ApprovalsEvent {
  return { type: 'snapshot', requests, nodes, at: new Date(T0).toISOString() };
}

function mount(source: FakeApprovalsSource, props: Partial<ApprovalsAppProps> = {}) {
  const clock = { now: T0 };
  const app = render(createElement(ApprovalsApp, { source, size: SIZE, now: () => clock.now, tickMs: 1_000, retryDelayMs: () => 10, ...props }));
  const frame = (): string => plain(app.lastFrame());
  return { ...app, clock, frame, until: (text: string | RegExp, what?: string) => waitForFrame(frame, (f) => (typeof text === 'string' ? f.includes(text) : text.test(f)), { what: what ?? String(text) }) };
}

afterEach(() => {
  cleanup();
});

describe('ApprovalsApp rendering', () => {
  it('shows each pending request with name, platform, address, SAS, re-pair marker and age, in 80x24', async () => {
    const source = new FakeApprovalsSource([
      snapshot([request(1), request(2, { repair: true })], [node('d1', 'web-1', 'online'), node('d2', 'db-1', 'offline')]),
    ]);
    const app = mount(source);
    const frame = await app.until('node-2');
    expect(frame).toContain('Palyra approvals  2 pending · nodes 1/2 online');
    expect(frame).toContain('● live');
    expect(frame).toMatch(/NAME\s+PLATFORM\s+ADDRESS\s+SAS\s+AGE/);
    expect(frame).toMatch(/› node-1\s+linux-x64\s+10\.0\.0\.1:50001\s+K7QX-P001\s+1m39s/);
    expect(frame).toMatch(/ {2}node-2\s+linux-x64\s+10\.0\.0\.2:50002\s+K7QX-P002\s+1m38s\s+re-pair/);
    expect(frame).toContain('↑↓/jk move · a approve · r reject · q quit');
    const widths = lineWidths(app.lastFrame());
    expect(Math.max(...widths)).toBeLessThanOrEqual(80);
    expect(widths.length).toBeLessThanOrEqual(23);
  });

  it('truncates long names and shows "+N more" when the list overflows, still within 80x24', async () => {
    const many = Array.from({ length: 30 }, (_, i) => request(i + 1, { name: i === 0 ? 'a-very-long-node-name-that-does-not-fit-the-column.example.internal' : `node-${i + 1}` }));
    const app = mount(new FakeApprovalsSource([snapshot(many)]));
    const frame = await app.until('more');
    expect(frame).toMatch(/› a-very-long-node-n\S*…/);
    expect(frame).not.toContain('example.internal');
    expect(frame).toContain('+21 more');
    expect(frame).toContain('30 pending');
    const widths = lineWidths(app.lastFrame());
    expect(Math.max(...widths)).toBeLessThanOrEqual(80);
    expect(widths.length).toBeLessThanOrEqual(23);
    // Moving past the visible rows scrolls the list.
    app.stdin.write('G');
    const bottom = await app.until('more above');
    expect(bottom).toMatch(/› node-30/);
    expect(bottom).toContain('+21 more above');
  });

  it('ticks ages', async () => {
    const app = mount(new FakeApprovalsSource([snapshot([request(5)])]), { tickMs: 20 });
    await app.until(/K7QX-P005\s+1m35s/);
    app.clock.now = T0 + 60_000;
    await app.until(/K7QX-P005\s+2m35s/);
  });

  it('renders requests added live and shows nodes going online and offline in the events pane', async () => {
    const source = new FakeApprovalsSource([snapshot([], [node('d1', 'web-1', 'offline')])]);
    const app = mount(source);
    await app.until('no pairing requests waiting');
    expect(app.frame()).toContain('nodes going online and offline show here');
    source.push({ type: 'node-online', node: node('d1', 'web-1', 'online', '10.1.1.1:4000'), at: new Date(T0).toISOString() });
    await app.until('online  web-1 from 10.1.1.1:4000');
    expect(app.frame()).toContain('nodes 1/1 online');
    source.push({ type: 'request-added', request: request(7), at: new Date(T0).toISOString() });
    await app.until(/› node-7\s+linux-x64/);
    expect(app.frame()).toContain('request node-7 (linux-x64) from 10.0.0.7:50007, SAS K7QX-P007');
    source.push({ type: 'node-offline', node: node('d1', '', 'offline'), at: new Date(T0).toISOString() });
    await app.until('offline web-1');
    expect(app.frame()).toContain('nodes 0/1 online');
  });

  it('shows node certificates renewed, expiring and expired in the events pane, within 80 columns', async () => {
    const source = new FakeApprovalsSource([snapshot([], [node('01ARZ3NDEKTSV4RRFFQ69G5FAV', 'web-1', 'online')])]);
    const app = mount(source);
    await app.until('no pairing requests waiting');
    const base = { deviceId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', name: 'web-1', certFingerprint: 'ab'.repeat(32), certExpiresAt: '2025-01-02T12:00:00.000Z' };
    const at = new Date(T0).toISOString();
    source.push({ type: 'certificate', at, event: { type: 'cert.renewed', at, ...base, previousCertFingerprint: 'cd'.repeat(32) } });
    await app.until('certificate of web-1 (01ARZ3NDEKTSV4RRFFQ69G5FAV) renewed');
    source.push({ type: 'certificate', at, event: { type: 'cert.expiring', at, ...base, state: 'expiring' } });
    await app.until('certificate of web-1 (01ARZ3NDEKTSV4RRFFQ69G5FAV) expiring');
    // A name with an escape sequence is printed harmlessly.
    source.push({ type: 'certificate', at, event: { type: 'cert.expired', at, ...base, name: 'evil\u001b[2Jx', state: 'in_grace', graceEndsAt: '2025-02-01T12:00:00.000Z' } });
    await app.until(/certificate of evil\S*x \(01ARZ3NDEKTSV4RRFFQ69G5FAV\) expired/);
    expect(app.lastFrame()).not.toContain('\u001b[2J');
    expect(Math.max(...lineWidths(app.lastFrame()))).toBeLessThanOrEqual(80);
  });

  it('moves with arrows and j/k, asks before approving, and cancels with n', async () => {
    const source = new FakeApprovalsSource([snapshot([request(1), request(2), request(3)])]);
    const app = mount(source);
    await app.until('› node-1');
    await settle();
    app.stdin.write(KEYS.down);
    await app.until('› node-2');
    app.stdin.write('j');
    await app.until('› node-3');
    app.stdin.write('k');
    await app.until('› node-2');
    app.stdin.write(KEYS.up);
    await app.until('› node-1');
    app.stdin.write('a');
    const prompt = await app.until('[y/n]');
    expect(prompt).toContain('Approve node-1 (SAS K7QX-P001, from 10.0.0.1:50001)? [y/n]');
    expect(prompt).toContain('y approve (only if the node shows the same SAS) · n/Esc cancel');
    app.stdin.write('j'); // ignored while confirming
    app.stdin.write('n');
    await app.until('cancelled: nothing was decided');
    expect(app.frame()).toContain('› node-1');
    expect(source.decisions).toEqual([]);
  });

  it('approves with a then y, and shows the outcome', async () => {
    const source = new FakeApprovalsSource([snapshot([request(1)])]);
    source.decideWith = async (requestId) => ({ ...request(1), requestId, state: 'approved' });
    const app = mount(source);
    await app.until('› node-1');
    await settle();
    app.stdin.write('a');
    await app.until('[y/n]');
    app.stdin.write('y');
    await app.until('approved node-1: the node receives its certificate');
    expect(source.decisions).toEqual([{ requestId: 'req-1', approve: true, replaceIdentity: false }]);
    expect(app.frame()).toContain('no pairing requests waiting');
  });

  it('flags an identity change loudly and approves it only after a second, explicit R', async () => {
    const change = request(1, { identityChange: true, keyFingerprint: 'NEWnewNEWnewNEWnewNEW1', previousKeyFingerprint: 'OLDoldOLDoldOLDoldOLD1' });
    const source = new FakeApprovalsSource([snapshot([change])]);
    source.decideWith = async (requestId) => ({ ...change, requestId, state: 'approved' });
    const app = mount(source);
    const list = await app.until('› node-1');
    expect(list).toMatch(/› node-1\s+linux-x64\s+10\.0\.0\.1:50001\s+K7QX-P001\s+1m39s\s+NEW KEY/);
    await settle();
    app.stdin.write('a');
    const first = await app.until('IDENTITY CHANGE');
    expect(first).toContain('Approve node-1 (SAS K7QX-P001)? [y/n]');
    expect(first).toContain('IDENTITY CHANGE: registered key OLDoldOLDoldOLDoldOLD1 → NEWnewNEWnewNEWnewNEW1');
    app.stdin.write('y');
    const second = await app.until('REPLACE IDENTITY');
    expect(second).toContain('REPLACE IDENTITY key OLDoldOLDoldOLDoldOLD1 → NEWnewNEWnewNEWnewNEW1?');
    expect(second).toContain("node-1's registered node loses its certificate. [R/n]");
    expect(second).toContain('R replace the identity (only if that device really has a new key) · n/Esc cancel');
    expect(Math.max(...lineWidths(app.lastFrame()))).toBeLessThanOrEqual(80);
    // Neither a second y nor the first answer sent anything.
    app.stdin.write('y');
    await settle();
    expect(source.decisions).toEqual([]);
    expect(app.frame()).toContain('REPLACE IDENTITY');
    app.stdin.write('R');
    await app.until('approved node-1: the node receives its certificate');
    expect(source.decisions).toEqual([{ requestId: 'req-1', approve: true, replaceIdentity: true }]);
  });

  it('cancels an identity change at the second question: nothing is sent', async () => {
    const change = request(1, { identityChange: true, previousKeyFingerprint: 'OLDoldOLDoldOLDoldOLD1' });
    const source = new FakeApprovalsSource([snapshot([change])]);
    const app = mount(source);
    await app.until('› node-1');
    await settle();
    app.stdin.write('a');
    await app.until('IDENTITY CHANGE');
    app.stdin.write('y');
    await app.until('REPLACE IDENTITY');
    app.stdin.write('n');
    await app.until('cancelled: nothing was decided');
    expect(source.decisions).toEqual([]);
    expect(app.frame()).toContain('NEW KEY');
  });

  it('rejects with r then y; Esc also cancels', async () => {
    const source = new FakeApprovalsSource([snapshot([request(1)])]);
    source.decideWith = async () => ({ ...request(1), state: 'rejected' });
    const app = mount(source);
    await app.until('› node-1');
    await settle();
    app.stdin.write('r');
    await app.until('Reject node-1 (SAS K7QX-P001');
    app.stdin.write(KEYS.escape);
    await app.until('cancelled');
    app.stdin.write('r');
    await app.until('Reject node-1');
    app.stdin.write('y');
    await app.until('rejected node-1');
    expect(source.decisions).toEqual([{ requestId: 'req-1', approve: false, replaceIdentity: false }]);
  });

  it('warns before approving a re-pair, keeping [y/n] in sight for long names and addresses', async () => {
    const app = mount(new FakeApprovalsSource([snapshot([request(1, { repair: true })])]));
    await app.until('› node-1');
    await settle();
    app.stdin.write('a');
    const prompt = await app.until('[y/n] Re-pair');
    expect(prompt).toContain('Approve node-1 (SAS K7QX-P001, from 10.0.0.1:50001)? [y/n]');
    expect(prompt.replace(/\n/g, ' ')).toContain('Re-pair of a known device: its old certificate is revoked.');
    cleanup();

    const long = request(2, { repair: true, name: `${'build-agent-'.repeat(6)}.internal`, remoteAddress: '[2001:db8:85a3::8a2e:370:7334]:51234' });
    const other = mount(new FakeApprovalsSource([snapshot([long])]));
    await other.until('› build-agent-');
    await settle();
    other.stdin.write('a');
    const frame = await other.until('[y/n]');
    expect(frame).toContain('K7QX-P002');
    expect(frame).toMatch(/Re-pair\s+of\s+a\s+known\s+device/);
    expect(Math.max(...lineWidths(other.lastFrame()))).toBeLessThanOrEqual(80);
  });

  it('shows a failed decision inline', async () => {
    const source = new FakeApprovalsSource([snapshot([request(1), request(2)])]);
    source.decideWith = () => Promise.reject(Object.assign(new Error('boom'), {}));
    const app = mount(source);
    await app.until('› node-1');
    await settle();
    app.stdin.write('j');
    await app.until('› node-2');
    app.stdin.write('a');
    await app.until('[y/n]');
    app.stdin.write('y');
    await app.until('could not approve node-2: PALYRA_E_INTERNAL: boom');
    expect(app.frame()).toContain('node-1');
  });

  it('says a request was decided elsewhere while its confirmation was open, and drops the row', async () => {
    const source = new FakeApprovalsSource([snapshot([request(1)])]);
    const app = mount(source);
    await app.until('› node-1');
    await settle();
    app.stdin.write('a');
    await app.until('[y/n]');
    source.push({ type: 'request-decided', request: { ...request(1), state: 'approved' }, outcome: 'approved', at: new Date(T0).toISOString() });
    await app.until('node-1 was approved elsewhere');
    expect(app.frame()).toContain('no pairing requests waiting');
    expect(app.frame()).not.toContain('[y/n]');
    app.stdin.write('y');
    await settle(50);
    expect(source.decisions).toEqual([]);
  });

  it('reconnects after a lost stream', async () => {
    const source = new FakeApprovalsSource([snapshot([request(1)])]);
    const app = mount(source);
    await app.until('● live');
    source.fail(new Error('the daemon is shutting down'));
    await app.until('lost the daemon: the daemon is shutting down; retrying');
    await app.until('reconnected');
    expect(source.watches).toBeGreaterThanOrEqual(2);
    expect(app.frame()).toContain('● live');
  });

  it('marks the list as last known while reconnecting, and refuses decisions until live', async () => {
    const source = new FakeApprovalsSource([snapshot([request(1)], [node('d1', 'web-1', 'online')])]);
    const app = mount(source, { retryDelayMs: () => 60_000 });
    await app.until('● live');
    await settle();
    source.fail(new Error('cannot reach the daemon'));
    const frame = await app.until('○ reconnecting');
    expect(frame).toContain('1 pending · nodes 1/1 online (last known)');
    expect(frame).toContain('lost the daemon: cannot reach the daemon; retrying');
    app.stdin.write('a');
    await app.until('not connected to the daemon');
    expect(app.frame()).not.toContain('[y/n]');
    expect(source.decisions).toEqual([]);
  });

  it('quits on q, ending the watch', async () => {
    const source = new FakeApprovalsSource([snapshot([request(1)])]);
    const app = mount(source);
    await app.until('› node-1');
    await settle();
    app.stdin.write('q');
    await waitForFrame(() => String(source.abortedWatches), (n) => n === '1', { what: 'the watch to end' });
  });

  it('quits on Ctrl-C, even while confirming', async () => {
    const source = new FakeApprovalsSource([snapshot([request(1)])]);
    const app = mount(source);
    await app.until('› node-1');
    await settle();
    app.stdin.write('a');
    await app.until('[y/n]');
    app.stdin.write(KEYS.ctrlC);
    await waitForFrame(() => String(source.abortedWatches), (n) => n === '1', { what: 'the watch to end' });
    expect(source.decisions).toEqual([]);
  });
});
