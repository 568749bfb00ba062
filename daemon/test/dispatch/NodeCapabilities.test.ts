import type { Capability__Output } from '@palyra/proto';
import { describe, expect, it } from 'vitest';
import { NodeCapabilities } from '../../src/dispatch/NodeCapabilities.js';

function capability(id: string, inputSchema: Record<string, unknown>): Capability__Output {
  return {
    id,
    kind: 'read',
    description: id,
    plugin: 'test',
    inputSchemaJson: JSON.stringify(inputSchema),
    outputSchemaJson: '{}',
  };
}

const WITH_ID = {
  $id: 'https://example.com/schemas/read.json',
  type: 'object',
  // A local, acyclic reference: a node's schema may not recurse (see compileUntrustedSchema).
  definitions: { child: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false } },
  properties: { path: { type: 'string' }, child: { $ref: '#/definitions/child' } },
  required: ['path'],
  additionalProperties: false,
};

describe('NodeCapabilities', () => {
  it('accepts the same announcement again, also with a schema that has an $id (a node reconnecting)', () => {
    const capabilities = new NodeCapabilities();
    for (let i = 0; i < 3; i += 1) capabilities.set('NODE-A', [capability('fs.read', WITH_ID)]);
    capabilities.set('NODE-B', [capability('fs.read', WITH_ID)]);
    const validate = capabilities.get('NODE-A', 'fs.read')!.validateInput;
    expect(validate({ path: '/tmp', child: { path: 'x' } })).toEqual([]);
    expect(validate({ path: 1 })).not.toEqual([]);
    expect(validate({ path: 'x', child: { nope: true } })).not.toEqual([]);
  });

  it('shares one compiled validator between nodes announcing the same schema, and rejects bad input for each', () => {
    const capabilities = new NodeCapabilities();
    capabilities.set('NODE-A', [capability('bench.noop', { type: 'object', additionalProperties: false })]);
    capabilities.set('NODE-B', [capability('bench.noop', { type: 'object', additionalProperties: false })]);
    const a = capabilities.get('NODE-A', 'bench.noop')!.validateInput;
    expect(capabilities.get('NODE-B', 'bench.noop')!.validateInput).toBe(a);
    expect(a({ extra: 1 })).not.toEqual([]);

    // A different schema for the same id gets its own validator.
    capabilities.set('NODE-B', [capability('bench.noop', { type: 'object' })]);
    expect(capabilities.get('NODE-B', 'bench.noop')!.validateInput({ extra: 1 })).toEqual([]);
    expect(capabilities.get('NODE-A', 'bench.noop')!.validateInput({ extra: 1 })).not.toEqual([]);
  });

  it('keeps a node announcement intact when a new one is refused, and forgets a removed node', () => {
    const capabilities = new NodeCapabilities();
    capabilities.set('NODE-A', [capability('fs.read', WITH_ID)]);
    expect(() => capabilities.set('NODE-A', [capability('fs.list', { type: 'object' }), capability('Bad Id', {})])).toThrow(
      expect.objectContaining({ code: 'PALYRA_E_INVALID_ARGUMENT' }),
    );
    expect(capabilities.list('NODE-A').map((c) => c.id)).toEqual(['fs.read']);
    capabilities.forget('NODE-A');
    expect(capabilities.list('NODE-A')).toEqual([]);
    // The schema (and its $id) can be compiled again after every user let it go.
    capabilities.set('NODE-C', [capability('fs.read', WITH_ID)]);
    expect(capabilities.get('NODE-C', 'fs.read')!.validateInput({ path: 'x' })).toEqual([]);
  });
});
