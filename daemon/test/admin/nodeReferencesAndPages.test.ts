import { describe, expect, it } from 'vitest';
import { newDeviceId } from '@palyra/shared/ids';
import type { Actor, TokenActor } from '../../src/access/Actor.js';
import { decodeNodeCursor, encodeNodeCursor, pageOfNodes, MAX_NODE_PAGE_SIZE } from '../../src/admin/nodePages.js';
import { resolveNodeReference, MAX_CANDIDATES } from '../../src/admin/nodeReference.js';
import type { NodeRecord } from '../../src/registry/types.js';

const local: Actor = { kind: 'local', uid: 0, role: 'owner', permissions: new Set(), remoteAddress: 'unix' };
const token = (nodes: string): TokenActor => ({
  kind: 'token', tokenId: 'T', tokenName: 't', role: 'operator', permissions: new Set(), scopes: [], nodes,
  expiresAt: undefined, remoteAddress: '127.0.0.1:1', signal: new AbortController().signal,
});

function node(deviceId: string, name: string, extra: Partial<NodeRecord> = {}): NodeRecord {
  return {
    deviceId, name, platform: 'linux', hostname: 'h', agentVersion: '1', capabilities: ['fs.read'], labels: {},
    ed25519PublicKey: '', x25519PublicKey: '', certFingerprint: '', certExpiresAt: '', pairedAt: '', lastSeen: null, ...extra,
  };
}

function lookup(nodes: NodeRecord[]) {
  const byId = new Map(nodes.map((n) => [n.deviceId, n]));
  return { getNode: (id: string) => byId.get(id), listNodes: () => [...byId.values()] };
}

const refusal = (fn: () => unknown): { code?: string; message: string; details?: Record<string, unknown> } => {
  try {
    fn();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a refusal');
};

describe('node references', () => {
  const a = node('01J0AAAA00000000000000000A', 'web-1', { labels: { env: 'prod' } });
  const b = node('01J0AAAB00000000000000000B', 'web-2', { operatorLabels: { env: 'prod' } });
  const c = node('01J0CCCC00000000000000000C', 'twin');
  const d = node('01J0DDDD00000000000000000D', 'twin');
  const fleet = lookup([a, b, c, d]);

  it('a device id, a unique prefix (any case, at least 4) or a name', () => {
    expect(resolveNodeReference(fleet, local, a.deviceId)).toBe(a);
    expect(resolveNodeReference(fleet, local, '01j0cccc')).toBe(c);
    expect(resolveNodeReference(fleet, local, 'web-2')).toBe(b);
    // Three characters are never a prefix.
    expect(refusal(() => resolveNodeReference(fleet, local, '01J')).code).toBe('PALYRA_E_NODE_NOT_FOUND');
    expect(refusal(() => resolveNodeReference(fleet, local, '')).code).toBe('PALYRA_E_INVALID_ARGUMENT');
    expect(refusal(() => resolveNodeReference(fleet, local, 'x'.repeat(10_000))).code).toBe('PALYRA_E_NODE_NOT_FOUND');
  });

  it('ambiguous: names or prefixes of several nodes, listing them with their ids', () => {
    const twin = refusal(() => resolveNodeReference(fleet, local, 'twin'));
    expect(twin.code).toBe('PALYRA_E_NODE_AMBIGUOUS');
    expect(twin.message).toContain(c.deviceId);
    expect(twin.message).toContain(d.deviceId);
    expect(twin.details).toMatchObject({ count: 2, candidates: [{ deviceId: c.deviceId, name: 'twin' }, { deviceId: d.deviceId, name: 'twin' }] });
    expect(refusal(() => resolveNodeReference(fleet, local, '01J0AAA')).code).toBe('PALYRA_E_NODE_AMBIGUOUS');
    // At most ten candidates, however many match.
    const many = lookup(Array.from({ length: 50 }, () => node(newDeviceId(), 'same')));
    const refused = refusal(() => resolveNodeReference(many, local, 'same'));
    expect((refused.details?.candidates as unknown[]).length).toBe(MAX_CANDIDATES);
    expect(refused.message).toContain('and 40 more');
  });

  it("a token's node selector: a node it may not see is not found and never a candidate (only operator labels count)", () => {
    const prod = token('env=prod');
    expect(resolveNodeReference(fleet, prod, 'web-2')).toBe(b);
    // b is prod by its operator label; a only says so itself (a node's own labels are not
    // trusted for a token's scope): b is the only candidate for this token.
    expect(resolveNodeReference(fleet, prod, '01J0AAA')).toBe(b);
    expect(refusal(() => resolveNodeReference(fleet, prod, a.deviceId)).code).toBe('PALYRA_E_NODE_NOT_FOUND');
    expect(refusal(() => resolveNodeReference(fleet, prod, 'twin')).code).toBe('PALYRA_E_NODE_NOT_FOUND');
    expect(refusal(() => resolveNodeReference(fleet, prod, c.deviceId)).code).toBe('PALYRA_E_NODE_NOT_FOUND');
    const onlyA = token('name=web-1');
    expect(resolveNodeReference(fleet, onlyA, '01J0AAA')).toBe(a);
  });
});

describe('node pages', () => {
  const fleet = Array.from({ length: 1000 }, (_, i) => node(newDeviceId(Date.now() - 10_000 + i), `n-${i}`, { labels: { tier: i % 2 === 0 ? 'even' : 'odd' } }));
  const online = (): boolean => false;

  it('pages in device id order; the cursor survives nodes removed and added between pages', () => {
    let nodes = [...fleet];
    const sorted = fleet.map((n) => n.deviceId).sort();
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    const late = node(newDeviceId(Date.now() + 60_000), 'late');
    do {
      const page = pageOfNodes(nodes, { selector: '', pageSize: 64, pageToken }, { online });
      expect(page.nodes.length).toBeLessThanOrEqual(64);
      seen.push(...page.nodes.map((n) => n.deviceId));
      pageToken = page.nextPageToken;
      pages += 1;
      if (pages === 2) {
        // The last one sent goes (the cursor still works), one ahead goes, one is added ahead.
        nodes = nodes.filter((n) => n.deviceId !== seen.at(-1) && n.deviceId !== sorted[900]);
        nodes.push(late);
      }
    } while (pageToken !== '');
    expect(seen).toEqual([...sorted.filter((id) => id !== sorted[900]), late.deviceId]);
  });

  it('filters by selector across pages; bounds the page size; refuses a cursor it did not hand out', () => {
    const odd: string[] = [];
    let pageToken = '';
    do {
      const page = pageOfNodes(fleet, { selector: 'tier=odd', pageSize: 0, pageToken }, { online });
      odd.push(...page.nodes.map((n) => n.name));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(odd).toHaveLength(500);
    expect(pageOfNodes(fleet, { selector: 'tier=odd', pageSize: 500, pageToken: '' }, { online }).nextPageToken).toBe('');
    expect(refusal(() => pageOfNodes(fleet, { selector: 'tier in (', pageSize: 0, pageToken: '' }, { online })).code).toBe('PALYRA_E_SELECTOR_INVALID');
    expect(refusal(() => pageOfNodes(fleet, { selector: '', pageSize: MAX_NODE_PAGE_SIZE + 1, pageToken: '' }, { online })).code).toBe('PALYRA_E_INVALID_ARGUMENT');
    expect(refusal(() => decodeNodeCursor('bm90LWEtY3Vyc29y')).code).toBe('PALYRA_E_INVALID_ARGUMENT');
    expect(refusal(() => decodeNodeCursor('x'.repeat(1000))).code).toBe('PALYRA_E_INVALID_ARGUMENT');
    expect(decodeNodeCursor(encodeNodeCursor(fleet[0]!.deviceId))).toBe(fleet[0]!.deviceId);
  });

  it('status and capability and merged labels are what the selector sees', () => {
    const nodes = [node(newDeviceId(), 'on', { capabilities: ['shell.exec'], operatorLabels: { tier: 'gold' }, labels: { tier: 'tin' } }), node(newDeviceId(), 'off')];
    const names = (selector: string): string[] =>
      pageOfNodes(nodes, { selector, pageSize: 0, pageToken: '' }, { online: (id) => id === nodes[0]!.deviceId }).nodes.map((n) => n.name);
    expect(names('status=online')).toEqual(['on']);
    expect(names('capability=shell.exec')).toEqual(['on']);
    expect(names('tier=gold')).toEqual(['on']);
    expect(names('tier=tin')).toEqual([]);
  });
});
