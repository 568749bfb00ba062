import { describe, expect, it } from 'vitest';
import { PalyraError } from '@palyra/shared';
import { validatePluginManifest } from '../../src/plugins/index.js';

const capability = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'demo.run',
  kind: 'read',
  description: 'Runs the demo.',
  inputSchema: { type: 'object' },
  outputSchema: { type: 'object' },
  execute: async () => ({}),
  ...overrides,
});

const plugin = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'demo',
  version: '1.2.3',
  apiVersion: 1,
  capabilities: [capability()],
  ...overrides,
});

function problemOf(value: unknown): PalyraError {
  try {
    validatePluginManifest(value, '/plugins/demo.js');
  } catch (error) {
    expect(error).toBeInstanceOf(PalyraError);
    return error as PalyraError;
  }
  throw new Error('expected PALYRA_E_PLUGIN_INVALID');
}

describe('validatePluginManifest', () => {
  it('accepts a valid plugin and compiles its schemas', () => {
    const validated = validatePluginManifest(
      plugin({
        version: '0.1.0-beta.1+build.5',
        description: 'demo',
        grantsSchema: { type: 'object', properties: { root: { type: 'string' } } },
        setup: () => {},
        dispose: () => {},
        capabilities: [capability(), capability({ id: 'demo.other-thing', kind: 'net', inputSchema: { type: 'object', required: ['x'] } })],
      }),
      '/plugins/demo.js',
    );
    expect(validated.source).toBe('/plugins/demo.js');
    expect([...validated.capabilities.keys()]).toEqual(['demo.run', 'demo.other-thing']);
    expect(validated.capabilities.get('demo.other-thing')?.validateInput({})).toEqual(['(root) must have required property \'x\'']);
    expect(validated.validateGrants({ root: 3 })).toEqual(['/root must be string']);
    expect(validated.validateGrants({ root: '/srv' })).toEqual([]);
  });

  it('without a grantsSchema, accepts only empty grants', () => {
    const validated = validatePluginManifest(plugin(), 'demo');
    expect(validated.validateGrants({})).toEqual([]);
    expect(validated.validateGrants({ anything: true })).not.toEqual([]);
  });

  const cases: [string, unknown, string, RegExp][] = [
    ['not an object', 42, '(default export)', /must be a plugin object made with definePlugin \(got 42\)/],
    ['null', null, '(default export)', /got null/],
    ['a bad name', plugin({ name: 'Demo_Plugin' }), 'name', /must match/],
    ['a name that is too long', plugin({ name: `a${'b'.repeat(64)}` }), 'name', /must match/],
    ['no version', plugin({ version: undefined }), 'version', /semver/],
    ['a non-semver version', plugin({ version: 'v1' }), 'version', /got "v1"/],
    ['another API version', plugin({ apiVersion: 2 }), 'apiVersion', /must be 1.*got 2/],
    ['a non-string description', plugin({ description: 5 }), 'description', /string/],
    ['a setup that is not a function', plugin({ setup: 'yes' }), 'setup', /function/],
    ['a dispose that is not a function', plugin({ dispose: {} }), 'dispose', /function/],
    ['no capabilities', plugin({ capabilities: [] }), 'capabilities', /non-empty array/],
    ['capabilities that are not an array', plugin({ capabilities: {} }), 'capabilities', /non-empty array/],
    ['a capability that is not an object', plugin({ capabilities: ['demo.run'] }), 'capabilities[0]', /capability object/],
    ['an undotted capability id', plugin({ capabilities: [capability({ id: 'run' })] }), 'capabilities[0].id', /dotted lowercase/],
    ['an uppercase capability id', plugin({ capabilities: [capability({ id: 'Demo.Run' })] }), 'capabilities[0].id', /dotted lowercase/],
    ['an unknown kind', plugin({ capabilities: [capability({ kind: 'write' })] }), 'capabilities[0] ("demo.run").kind', /read, mutate, exec, net/],
    ['no description', plugin({ capabilities: [capability({ description: ' ' })] }), 'capabilities[0] ("demo.run").description', /non-empty/],
    ['no execute', plugin({ capabilities: [capability({ execute: undefined })] }), 'capabilities[0] ("demo.run").execute', /function/],
    ['no input schema', plugin({ capabilities: [capability({ inputSchema: undefined })] }), 'capabilities[0] ("demo.run").inputSchema', /JSON Schema object/],
    ['an input schema ajv rejects', plugin({ capabilities: [capability({ inputSchema: { type: 'nope' } })] }), 'capabilities[0] ("demo.run").inputSchema', /not a valid JSON Schema/],
    ['an output schema ajv rejects', plugin({ capabilities: [capability({ outputSchema: { minLength: -1 } })] }), 'capabilities[0] ("demo.run").outputSchema', /not a valid JSON Schema/],
    ['a grantsSchema ajv rejects', plugin({ grantsSchema: { type: 12 } }), 'grantsSchema', /not a valid JSON Schema/],
    ['a grantsSchema that is not an object', plugin({ grantsSchema: 'object' }), 'grantsSchema', /JSON Schema object/],
    ['a capability id declared twice', plugin({ capabilities: [capability(), capability()] }), 'capabilities[1].id', /declared twice/],
  ];

  for (const [what, value, field, message] of cases) {
    it(`rejects ${what} with PALYRA_E_PLUGIN_INVALID naming the source, the plugin and ${field}`, () => {
      const error = problemOf(value);
      expect(error.code).toBe('PALYRA_E_PLUGIN_INVALID');
      expect(error.message).toContain('/plugins/demo.js');
      expect(error.message).toContain(field);
      expect(error.message).toMatch(message);
      expect(error.details).toMatchObject({ source: '/plugins/demo.js', field });
      if (typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'demo') {
        expect(error.message).toContain('plugin "demo"');
        expect(error.details?.plugin).toBe('demo');
      }
    });
  }

  it('reports every problem at once', () => {
    const error = problemOf(plugin({ version: 'x', apiVersion: 0, capabilities: [capability({ id: 'bad', kind: 'nope' })] }));
    const fields = (error.details?.problems as { field: string }[]).map((p) => p.field);
    expect(fields).toEqual(['version', 'apiVersion', 'capabilities[0].id', 'capabilities[0].kind']);
  });
});
