import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLUGIN_API_VERSION, compileSchema } from '@palyra/shared';
import filesystemPlugin, { GRANTS_SCHEMA } from '../src/index.js';
import { makeContext } from './helpers.js';

describe('the filesystem plugin', () => {
  it('declares five capabilities with unique ids and the right kinds', () => {
    expect(filesystemPlugin.name).toBe('filesystem');
    expect(filesystemPlugin.apiVersion).toBe(PLUGIN_API_VERSION);
    expect(Object.fromEntries(filesystemPlugin.capabilities.map((c) => [c.id, c.kind]))).toEqual({
      'fs.read': 'read',
      'fs.write': 'mutate',
      'fs.list': 'read',
      'fs.stat': 'read',
      'fs.remove': 'mutate',
    });
    for (const capability of filesystemPlugin.capabilities) expect(capability.description.length).toBeGreaterThan(20);
  });

  it('has schemas that compile and are closed (additionalProperties: false, required)', () => {
    for (const capability of filesystemPlugin.capabilities) {
      for (const which of ['inputSchema', 'outputSchema'] as const) {
        const schema = capability[which];
        expect(() => compileSchema(schema, `${capability.id} ${which}`)).not.toThrow();
        expect(schema).toMatchObject({ type: 'object', additionalProperties: false });
        expect((schema.required as string[]).length).toBeGreaterThan(0);
      }
      const validate = compileSchema(capability.inputSchema, capability.id);
      expect(validate({ path: 'x', content: 'x', extra: true })).not.toEqual([]);
      expect(validate({})).not.toEqual([]);
      expect(validate({ path: '' })).not.toEqual([]);
      expect(validate({ path: 42 })).not.toEqual([]);
    }
  });

  it('input schemas refuse bad enums and negative or fractional numbers', () => {
    const byId = Object.fromEntries(filesystemPlugin.capabilities.map((c) => [c.id, compileSchema(c.inputSchema, c.id)]));
    expect(byId['fs.read']?.({ path: 'x', encoding: 'latin1' })).not.toEqual([]);
    expect(byId['fs.read']?.({ path: 'x', offset: -1 })).not.toEqual([]);
    expect(byId['fs.read']?.({ path: 'x', length: 1.5 })).not.toEqual([]);
    expect(byId['fs.write']?.({ path: 'x', content: 'x', mode: 'truncate' })).not.toEqual([]);
    expect(byId['fs.write']?.({ path: 'x' })).not.toEqual([]);
    expect(byId['fs.remove']?.({ path: 'x', recursive: 'yes' })).not.toEqual([]);
  });

  it('has a grants schema matching the documented config entry', () => {
    const validate = compileSchema(GRANTS_SCHEMA, 'filesystem grants');
    expect(filesystemPlugin.grantsSchema).toBe(GRANTS_SCHEMA);
    expect(validate({})).toEqual([]);
    expect(validate({ roots: ['/srv/data', '/var/log/app'], write: true, maxReadBytes: 1_048_576, maxWriteBytes: 65_536 })).toEqual([]);
    expect(validate({ roots: '/srv/data' })).not.toEqual([]);
    expect(validate({ roots: [''] })).not.toEqual([]);
    expect(validate({ write: 'yes' })).not.toEqual([]);
    expect(validate({ maxReadBytes: -1 })).not.toEqual([]);
    expect(validate({ root: ['/srv'] })).not.toEqual([]);
  });

  it('setup warns about missing roots and about granting none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palyra-fs-setup-'));
    try {
      const signal = new AbortController().signal;
      const none = makeContext({});
      await filesystemPlugin.setup?.({ signal, grants: {}, logger: none.ctx.logger });
      expect(none.logs.map((l) => l.level)).toEqual(['warn']);

      const some = makeContext({});
      await filesystemPlugin.setup?.({ signal, grants: { roots: [dir, join(dir, 'missing')] }, logger: some.ctx.logger });
      expect(some.logs).toHaveLength(1);
      expect(some.logs[0]?.message).toContain('do not exist');

      const fine = makeContext({});
      await filesystemPlugin.setup?.({ signal, grants: { roots: [dir] }, logger: fine.ctx.logger });
      expect(fine.logs).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
