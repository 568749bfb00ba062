/**
 * The catalog against what consumes it: the MCP SDK's own Tool type (what every SDK client
 * parses tools/list with) and the JSON Schema compiler the nodes and the daemon validate
 * capability inputs with (@palyra/plugin-sdk/host's compileSchema). Every schema below is one
 * a plugin can announce: it compiles, as the daemon checks at registration.
 */
import { ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { compileSchema } from '@palyra/plugin-sdk/host';
import type { NodeInfo__Output } from '@palyra/proto';
import { describe, expect, it } from 'vitest';
import { buildToolCatalog, CATALOG_LIMITS } from '../../src/tools/buildToolCatalog.js';
import { parseToolArguments } from '../../src/tools/callTool.js';
import { toolName } from '../../src/tools/toolName.js';

let counter = 0;
function node(name: string, caps: { id: string; kind?: string; schema: unknown }[]): NodeInfo__Output {
  counter++;
  return {
    deviceId: `01CONFORM${String(counter).padStart(17, '0')}`,
    name,
    status: 'online',
    capabilityDetails: caps.map((c) => ({ id: c.id, kind: c.kind ?? 'read', description: `does ${c.id}`, plugin: 'conform', inputSchemaJson: JSON.stringify(c.schema), outputSchemaJson: '{}' })),
  } as unknown as NodeInfo__Output;
}

/** Capability schemas a plugin may announce, each with an input the capability accepts. */
const CASES: { id: string; schema: Record<string, unknown>; input: Record<string, unknown> }[] = [
  // A boolean subschema is JSON Schema (`true`: anything); the SDK wants every property an object.
  { id: 'conform.boolean-property', schema: { type: 'object', properties: { flag: true, path: { type: 'string' } } }, input: { flag: 1, path: 'a' } },
  // Definitions referenced from the root: nested under `input`, the pointers must still resolve.
  {
    id: 'conform.refs',
    schema: { $defs: { name: { type: 'string', minLength: 1 } }, anyOf: [{ type: 'object', required: ['who'], properties: { who: { $ref: '#/$defs/name' } } }, { type: 'string' }] },
    input: { who: 'x' },
  },
  // Property names that are also keywords: `const` here is a property whose schema holds a reference.
  {
    id: 'conform.keyword-names',
    schema: { $defs: { n: { type: 'integer' } }, anyOf: [{ type: 'object', properties: { const: { $ref: '#/$defs/n' }, $ref: { $ref: '#/$defs/n' } } }] },
    input: { const: 1, $ref: 2 },
  },
  { id: 'conform.self-ref', schema: { type: 'object', properties: { child: { $ref: '#' } }, additionalProperties: false, anyOf: [{ required: ['child'] }, { maxProperties: 0 }] }, input: { child: {} } },
  // A bound on the number or the names of the properties leaves no room for the target keys.
  { id: 'conform.max-properties', schema: { type: 'object', maxProperties: 1, properties: { a: { type: 'string' } } }, input: { a: 'x' } },
  { id: 'conform.property-names', schema: { type: 'object', propertyNames: { maxLength: 4 }, properties: { a: { type: 'string' } } }, input: { a: 'x' } },
  // The capability's own `node`, named only in `required`: the target must not take it.
  { id: 'conform.required-node', schema: { type: 'object', required: ['node'] }, input: { node: 'n1' } },
];

describe('the catalog against the MCP SDK and the nodes’ schema compiler', () => {
  const catalog = buildToolCatalog([node('alpha', CASES.map((c) => ({ id: c.id, schema: c.schema })))]);

  it('every capability schema a plugin may announce compiles (the premise: the daemon accepts them)', () => {
    for (const c of CASES) expect(() => compileSchema(c.schema, c.id)).not.toThrow();
    expect(catalog.tools.map((t) => t.capability).sort()).toEqual(CASES.map((c) => c.id).sort());
  });

  it('tools/list parses with the SDK client’s own ListToolsResultSchema (one odd schema must not break every tool)', () => {
    const listed = { tools: catalog.tools.map((t) => ({ name: t.name, title: t.capability, description: t.description, inputSchema: t.inputSchema, annotations: t.annotations })) };
    const parsed = ListToolsResultSchema.safeParse(listed);
    expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3))).toBe(true);
  });

  it('each tool’s input schema compiles and accepts the capability’s input with a target; the input reaching the node is the capability’s', () => {
    for (const c of CASES) {
      const tool = catalog.tools.find((t) => t.capability === c.id)!;
      let validate: ReturnType<typeof compileSchema> | undefined;
      expect(() => (validate = compileSchema(tool.inputSchema, tool.name)), c.id).not.toThrow();
      const args = tool.nestedInput ? { input: c.input, [tool.targetKeys.node]: 'alpha' } : { ...c.input, [tool.targetKeys.node]: 'alpha' };
      expect(validate?.(args), c.id).toEqual([]);
      const parsed = parseToolArguments(tool, args);
      expect(parsed.node, c.id).toBe('alpha');
      expect(parsed.input, c.id).toEqual(c.input);
      expect(compileSchema(c.schema, c.id)(parsed.input), c.id).toEqual([]);
    }
  });

  it('annotations hold every kind the nodes announce: net on one node and mutate on another is destructive AND open-world', () => {
    const mixed = buildToolCatalog([node('a', [{ id: 'web.post', kind: 'net', schema: { type: 'object' } }]), node('b', [{ id: 'web.post', kind: 'mutate', schema: { type: 'object' } }])]);
    expect(mixed.tools[0]!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, openWorldHint: true });
  });

  it('two long ids whose hashed names collide (40 bits: a birthday search of ~2^20 hashes) are not listed under one name', () => {
    // Found by hashing ids with one 52-character prefix until two shared 10 hex digits.
    const first = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.x8phg';
    const second = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.x1jtvz';
    expect(toolName(first)).toBe(toolName(second));
    const collided = buildToolCatalog([node('a', [{ id: first, schema: { type: 'object' } }]), node('evil', [{ id: second, kind: 'exec', schema: { type: 'object' } }])]);
    const names = collided.tools.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    // Neither capability is reachable under the shared name: a call never runs a capability other than the one listed.
    expect(collided.byName.get(toolName(first)!)).toBeUndefined();
  });

  it('one node cannot flood the listing: its schemas count against a per-node budget, the listing against a total, and other nodes keep their tools', () => {
    // The daemon accepts 1,024 capabilities of 64 KiB schemas per node: 256 of them would be a
    // 16 MiB tools/list, more than any agent's context (the model request fails: every tool lost).
    const padding = 'p'.repeat(60 * 1024);
    const flood = Array.from({ length: 256 }, (_, i) => ({ id: `aaa.cap${i}`, schema: { type: 'object', description: padding } }));
    const catalog = buildToolCatalog([node('evil', flood), node('good', [{ id: 'zz.read', schema: { type: 'object', properties: { path: { type: 'string' } } } }])]);
    const listingChars = JSON.stringify(catalog.tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema, annotations: t.annotations }))).length;
    expect(listingChars).toBeLessThanOrEqual(CATALOG_LIMITS.maxListingChars);
    const fromEvil = catalog.tools.filter((t) => t.capability.startsWith('aaa.'));
    expect(fromEvil.reduce((sum, t) => sum + JSON.stringify(t.inputSchema).length, 0)).toBeLessThanOrEqual(CATALOG_LIMITS.maxSchemaCharsPerNode + 4096 * fromEvil.length);
    expect(catalog.byName.has('zz_read')).toBe(true);
  });
});
