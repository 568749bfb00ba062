import { access, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeCapability } from '../src/index.js';
import { MAX_REMOVE_DEPTH } from '../src/removeTree.js';
import { TempDirs, expectMatchesSchema, expectPalyraError, makeContext, signalAbortingAfter } from './helpers.js';

const temps = new TempDirs();
let root: string;
let outside: string;

beforeEach(async () => {
  root = await temps.make();
  outside = await temps.make('palyra-outside-');
  await writeFile(join(outside, 'secret.txt'), 'secret');
});
afterEach(() => temps.cleanup());

const exists = (path: string) => access(path).then(
  () => true,
  () => false,
);

describe('fs.remove', () => {
  it('removes a file, and reports removed: false when there is nothing to remove', async () => {
    await writeFile(join(root, 'a.txt'), 'a');
    const { ctx } = makeContext({ roots: [root], write: true });
    const input = { path: 'a.txt' };
    const output = await removeCapability.execute(input, ctx);
    expect(output).toEqual({ path: join(root, 'a.txt'), removed: true });
    expectMatchesSchema(removeCapability, 'inputSchema', input);
    expectMatchesSchema(removeCapability, 'outputSchema', output);
    expect(await exists(join(root, 'a.txt'))).toBe(false);

    const again = await removeCapability.execute(input, ctx);
    expect(again).toEqual({ path: join(root, 'a.txt'), removed: false });
    expectMatchesSchema(removeCapability, 'outputSchema', again);
    expect(await removeCapability.execute({ path: 'no/such/dir' }, ctx)).toMatchObject({ removed: false });
  });

  it('removes an empty directory, and a full one only with recursive', async () => {
    await mkdir(join(root, 'empty'));
    await mkdir(join(root, 'full/deep'), { recursive: true });
    await writeFile(join(root, 'full/deep/f.txt'), 'f');
    const { ctx } = makeContext({ roots: [root], write: true });

    expect(await removeCapability.execute({ path: 'empty' }, ctx)).toMatchObject({ removed: true });
    const error = await expectPalyraError(removeCapability.execute({ path: 'full' }, ctx), 'PALYRA_E_FS_IO');
    expect(error.message).toContain('recursive');
    const input = { path: 'full', recursive: true };
    expectMatchesSchema(removeCapability, 'inputSchema', input);
    expect(await removeCapability.execute(input, ctx)).toMatchObject({ removed: true });
    expect(await readdir(root)).toEqual([]);
  });

  it('removes a symlink, never what it points to, also inside a recursive removal', async () => {
    await symlink(outside, join(root, 'link-dir'));
    await mkdir(join(root, 'tree'));
    await symlink(outside, join(root, 'tree/inner-link'));
    await symlink(join(outside, 'secret.txt'), join(root, 'tree/file-link'));
    const { ctx } = makeContext({ roots: [root], write: true });

    expect(await removeCapability.execute({ path: 'link-dir', recursive: true }, ctx)).toMatchObject({ removed: true });
    expect(await removeCapability.execute({ path: 'tree', recursive: true }, ctx)).toMatchObject({ removed: true });
    expect(await readdir(root)).toEqual([]);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('never removes a root, nor a directory that holds one', async () => {
    await mkdir(join(root, 'nested/inner'), { recursive: true });
    const innerRoot = join(root, 'nested/inner');
    const { ctx } = makeContext({ roots: [root, innerRoot], write: true });
    for (const path of ['.', root, `${root}/`, 'nested/..', innerRoot, 'nested']) {
      const error = await expectPalyraError(removeCapability.execute({ path, recursive: true }, ctx), 'PALYRA_E_CAPABILITY_DENIED');
      expect(error.message).toContain(root);
    }
    expect(await exists(innerRoot)).toBe(true);
  });

  it('refuses a path outside the roots and a path through a symlink leading outside', async () => {
    await symlink(outside, join(root, 'escape'));
    const { ctx } = makeContext({ roots: [root], write: true });
    await expectPalyraError(removeCapability.execute({ path: join(outside, 'secret.txt') }, ctx), 'PALYRA_E_CAPABILITY_DENIED');
    await expectPalyraError(removeCapability.execute({ path: 'escape/secret.txt' }, ctx), 'PALYRA_E_CAPABILITY_DENIED');
    await expectPalyraError(removeCapability.execute({ path: '../' + outside.split('/').pop() }, ctx), 'PALYRA_E_CAPABILITY_DENIED');
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('refuses a tree deeper than it holds directories open for, removing nothing above the limit', async () => {
    const deep = join(root, 'deep', ...Array.from({ length: MAX_REMOVE_DEPTH + 1 }, () => 'd'));
    await mkdir(deep, { recursive: true });
    const { ctx } = makeContext({ roots: [root], write: true });
    await expectPalyraError(removeCapability.execute({ path: 'deep', recursive: true }, ctx), 'PALYRA_E_LIMIT_EXCEEDED');
    expect(await exists(join(root, 'deep/d'))).toBe(true);
  });

  it('requires grants.write', async () => {
    await writeFile(join(root, 'a.txt'), 'a');
    const { ctx } = makeContext({ roots: [root] });
    await expectPalyraError(removeCapability.execute({ path: 'a.txt' }, ctx), 'PALYRA_E_CAPABILITY_DENIED');
    expect(await exists(join(root, 'a.txt'))).toBe(true);
  });

  it('stops a recursive removal when the signal is aborted', async () => {
    await mkdir(join(root, 'tree'));
    await Promise.all(Array.from({ length: 50 }, (_, i) => writeFile(join(root, 'tree', `f${i}`), '')));
    const { ctx } = makeContext({ roots: [root], write: true }, signalAbortingAfter(20));
    await expectPalyraError(removeCapability.execute({ path: 'tree', recursive: true }, ctx), 'PALYRA_E_CANCELLED');
    expect(await exists(join(root, 'tree'))).toBe(true);

    const aborted = makeContext({ roots: [root], write: true });
    aborted.controller.abort();
    await expectPalyraError(removeCapability.execute({ path: 'tree', recursive: true }, aborted.ctx), 'PALYRA_E_CANCELLED');
  });
});
