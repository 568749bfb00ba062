import type { NodeInfo__Output } from '@palyra/proto';
import { describe, expect, it } from 'vitest';
import { buildToolCatalog } from '../../src/tools/buildToolCatalog.js';
import { memoizedToolCatalog } from '../../src/tools/memoizedToolCatalog.js';

const SCHEMA = JSON.stringify({ type: 'object', properties: { path: { type: 'string' } } });

function node(deviceId: string, ids: string[], extra: Partial<NodeInfo__Output> = {}): NodeInfo__Output {
  return {
    deviceId,
    name: `node-${deviceId}`,
    status: 'online',
    capabilityDetails: ids.map((id) => ({ id, kind: 'read', description: `${id} of ${deviceId}`, plugin: 'p', inputSchemaJson: SCHEMA, outputSchemaJson: '{}' })),
    ...extra,
  } as unknown as NodeInfo__Output;
}

describe('memoizedToolCatalog', () => {
  it('answers the same catalog for the same announcements, whatever the health fields say', () => {
    const first = memoizedToolCatalog([node('01A', ['fs.read'], { lastSeen: '1', healthRttMs: 1 })]);
    const again = memoizedToolCatalog([node('01A', ['fs.read'], { lastSeen: '2', healthRttMs: 7, lastHealthAt: 'x' })]);
    expect(again).toBe(first);
    expect(first).toEqual(buildToolCatalog([node('01A', ['fs.read'])]));
  });

  it('builds anew when anything the catalog reads changes: a capability, its schema text, a status, a name', () => {
    const base = memoizedToolCatalog([node('01B', ['fs.read'])]);
    const variants = [
      [node('01B', ['fs.read', 'fs.write'])],
      [{ ...node('01B', ['fs.read']), capabilityDetails: [{ ...node('01B', ['fs.read']).capabilityDetails[0]!, inputSchemaJson: JSON.stringify({ type: 'object' }) }] } as NodeInfo__Output],
      [node('01B', ['fs.read'], { status: 'offline' })],
      [node('01B', ['fs.read'], { name: 'renamed' })],
    ];
    for (const nodes of variants) {
      const catalog = memoizedToolCatalog(nodes);
      expect(catalog).not.toBe(base);
      expect(catalog).toEqual(buildToolCatalog(nodes));
    }
  });

  it('keeps only the last few catalogs', () => {
    const first = memoizedToolCatalog([node('01C', ['a.one'])]);
    for (let i = 0; i < 8; i++) memoizedToolCatalog([node(`01D${i}`, ['a.two'])]);
    const rebuilt = memoizedToolCatalog([node('01C', ['a.one'])]);
    expect(rebuilt).not.toBe(first);
    expect(rebuilt).toEqual(first);
  });
});
