import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileSchema } from '@palyra/shared';
import { listCapability } from '../src/index.js';
import { MAX_OPEN_PENDING } from '../src/listDirectory.js';
import { TempDirs, expectMatchesSchema, expectPalyraError, makeContext, signalAbortingAfter } from './helpers.js';

const temps = new TempDirs();
let root: string;
let outside: string;

beforeEach(async () => {
  root = await temps.make();
  outside = await temps.make('palyra-outside-');
  await mkdir(join(root, 'src/lib'), { recursive: true });
  await writeFile(join(root, 'README.md'), 'readme');
  await writeFile(join(root, 'src/main.ts'), 'main');
  await writeFile(join(root, 'src/lib/util.ts'), 'util!');
  await writeFile(join(outside, 'secret.txt'), 'secret');
  await symlink(outside, join(root, 'escape'));
});
afterEach(() => temps.cleanup());

describe('fs.list', () => {
  it('lists one directory with types, sizes and times', async () => {
    const { ctx } = makeContext({ roots: [root] });
    const input = { path: '.' };
    const output = await listCapability.execute(input, ctx);
    expectMatchesSchema(listCapability, 'inputSchema', input);
    expectMatchesSchema(listCapability, 'outputSchema', output);
    expect(output.path).toBe(root);
    expect(output.truncated).toBe(false);
    expect(output.entries.map((e) => [e.path, e.name, e.type])).toEqual([
      ['README.md', 'README.md', 'file'],
      ['escape', 'escape', 'symlink'],
      ['src', 'src', 'directory'],
    ]);
    expect(output.entries[0]?.size).toBe(6);
    expect(Date.parse(output.entries[0]?.modifiedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });

  it('lists recursively with paths relative to the root and never follows a symlink', async () => {
    const { ctx } = makeContext({ roots: [root] });
    const input = { path: root, recursive: true, maxEntries: 100 };
    const output = await listCapability.execute(input, ctx);
    expectMatchesSchema(listCapability, 'inputSchema', input);
    expectMatchesSchema(listCapability, 'outputSchema', output);
    expect(output.entries.map((e) => e.path)).toEqual(['README.md', 'escape', 'src', 'src/lib', 'src/lib/util.ts', 'src/main.ts']);
    expect(JSON.stringify(output)).not.toContain('secret');
  });

  it('lists a subdirectory, paths still relative to the root', async () => {
    const { ctx } = makeContext({ roots: [root] });
    const output = await listCapability.execute({ path: 'src', recursive: true }, ctx);
    expect(output.path).toBe(join(root, 'src'));
    expect(output.entries.map((e) => e.path)).toEqual(['src/lib', 'src/lib/util.ts', 'src/main.ts']);
  });

  it('refuses to list through a symlink that leads outside the root', async () => {
    const { ctx } = makeContext({ roots: [root] });
    await expectPalyraError(listCapability.execute({ path: 'escape' }, ctx), 'PALYRA_E_CAPABILITY_DENIED');
  });

  it('truncates at maxEntries', async () => {
    await mkdir(join(root, 'many'));
    await Promise.all(Array.from({ length: 30 }, (_, i) => writeFile(join(root, 'many', `f${String(i).padStart(2, '0')}`), '')));
    const { ctx } = makeContext({ roots: [root] });
    const output = await listCapability.execute({ path: 'many', maxEntries: 10 }, ctx);
    expect(output.entries).toHaveLength(10);
    expect(output.truncated).toBe(true);
    expectMatchesSchema(listCapability, 'outputSchema', output);

    const exact = await listCapability.execute({ path: 'many', maxEntries: 30 }, ctx);
    expect(exact.entries).toHaveLength(30);
    expect(exact.truncated).toBe(false);

    const recursive = await listCapability.execute({ path: '.', recursive: true, maxEntries: 5 }, ctx);
    expect(recursive.entries).toHaveLength(5);
    expect(recursive.truncated).toBe(true);
  });

  it('lists more subdirectories than it keeps open at once, reopening the rest inside the listed directory', async () => {
    const count = MAX_OPEN_PENDING + 36;
    await mkdir(join(root, 'wide'));
    for (let i = 0; i < count; i += 1) {
      await mkdir(join(root, 'wide', `d${i}`));
      await writeFile(join(root, 'wide', `d${i}`, 'f.txt'), String(i));
    }
    // A symlink among them is listed, not descended into, also once the open ones run out.
    await symlink(outside, join(root, 'wide', 'zz-link'));
    const { ctx } = makeContext({ roots: [root] });
    const output = await listCapability.execute({ path: 'wide', recursive: true, maxEntries: 10_000 }, ctx);
    expect(output.entries.filter((e) => e.type === 'directory')).toHaveLength(count);
    expect(output.entries.filter((e) => e.name === 'f.txt')).toHaveLength(count);
    expect(output.entries.find((e) => e.name === 'zz-link')?.type).toBe('symlink');
    expect(JSON.stringify(output)).not.toContain('secret');
    expect(output.entries.find((e) => e.path === 'wide/d7/f.txt')).toMatchObject({ type: 'file', size: 1 });
  });

  it('the schema bounds maxEntries to 1..10000', () => {
    const validate = compileSchema(listCapability.inputSchema, 'fs.list input');
    expect(validate({ path: '.', maxEntries: 10_000 })).toEqual([]);
    expect(validate({ path: '.', maxEntries: 10_001 })).not.toEqual([]);
    expect(validate({ path: '.', maxEntries: 0 })).not.toEqual([]);
  });

  it('refuses a file and reports a missing directory', async () => {
    const { ctx } = makeContext({ roots: [root] });
    await expectPalyraError(listCapability.execute({ path: 'README.md' }, ctx), 'PALYRA_E_FS_IO');
    await expectPalyraError(listCapability.execute({ path: 'nope' }, ctx), 'PALYRA_E_FS_NOT_FOUND');
  });

  it('stops a long listing when the signal is aborted', async () => {
    await mkdir(join(root, 'many'));
    await Promise.all(Array.from({ length: 200 }, (_, i) => writeFile(join(root, 'many', `f${i}`), '')));
    const { ctx } = makeContext({ roots: [root] }, signalAbortingAfter(50));
    await expectPalyraError(listCapability.execute({ path: '.', recursive: true, maxEntries: 10_000 }, ctx), 'PALYRA_E_CANCELLED');

    const aborted = makeContext({ roots: [root] });
    aborted.controller.abort();
    await expectPalyraError(listCapability.execute({ path: '.' }, aborted.ctx), 'PALYRA_E_CANCELLED');
  });
});
