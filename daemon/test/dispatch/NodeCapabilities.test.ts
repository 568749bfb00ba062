import type { Capability__Output } from '@palyra/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeCapabilities } from '../../src/dispatch/NodeCapabilities.js';
import type { SchemaWorker } from '../../src/dispatch/SchemaWorker.js';
import { startSchemaWorker } from './fakeNode.js';

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

// The schemas are compiled and run in a real worker thread.
let schemas: SchemaWorker;
beforeAll(() => {
  schemas = startSchemaWorker();
});
afterAll(() => schemas.stop());

describe('NodeCapabilities', () => {
  it('accepts the same announcement again, also with a schema that has an $id (a node reconnecting)', async () => {
    const capabilities = new NodeCapabilities(schemas);
    for (let i = 0; i < 3; i += 1) await capabilities.set('NODE-A', [capability('fs.read', WITH_ID)]);
    await capabilities.set('NODE-B', [capability('fs.read', WITH_ID)]);
    const validate = capabilities.get('NODE-A', 'fs.read')!.validateInput;
    expect(await validate(JSON.stringify({ path: '/tmp', child: { path: 'x' } }))).toEqual([]);
    expect(await validate(JSON.stringify({ path: 1 }))).not.toEqual([]);
    expect(await validate(JSON.stringify({ path: 'x', child: { nope: true } }))).not.toEqual([]);
  });

  it('shares one compiled validator between nodes announcing the same schema, and rejects bad input for each', async () => {
    const capabilities = new NodeCapabilities(schemas);
    await capabilities.set('NODE-A', [capability('bench.noop', { type: 'object', additionalProperties: false })]);
    await capabilities.set('NODE-B', [capability('bench.noop', { type: 'object', additionalProperties: false })]);
    const a = capabilities.get('NODE-A', 'bench.noop')!.validateInput;
    expect(capabilities.get('NODE-B', 'bench.noop')!.validateInput).toBe(a);
    expect(await a(JSON.stringify({ extra: 1 }))).not.toEqual([]);

    // A different schema for the same id gets its own validator.
    await capabilities.set('NODE-B', [capability('bench.noop', { type: 'object' })]);
    expect(await capabilities.get('NODE-B', 'bench.noop')!.validateInput(JSON.stringify({ extra: 1 }))).toEqual([]);
    expect(await capabilities.get('NODE-A', 'bench.noop')!.validateInput(JSON.stringify({ extra: 1 }))).not.toEqual([]);
  });

  it('keeps a node announcement intact when a new one is refused, and forgets a removed node', async () => {
    const capabilities = new NodeCapabilities(schemas);
    await capabilities.set('NODE-A', [capability('fs.read', WITH_ID)]);
    await expect(capabilities.set('NODE-A', [capability('fs.list', { type: 'object' }), capability('Bad Id', {})])).rejects.toThrow(
      expect.objectContaining({ code: 'PALYRA_E_INVALID_ARGUMENT' }),
    );
    expect(capabilities.list('NODE-A').map((c) => c.id)).toEqual(['fs.read']);
    capabilities.forget('NODE-A');
    expect(capabilities.list('NODE-A')).toEqual([]);
    // The schema (and its $id) can be compiled again after every user let it go.
    await capabilities.set('NODE-C', [capability('fs.read', WITH_ID)]);
    expect(await capabilities.get('NODE-C', 'fs.read')!.validateInput(JSON.stringify({ path: 'x' }))).toEqual([]);
  });
});
