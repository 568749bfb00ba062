import { chmod, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PalyraError } from '@palyra/shared';
import { readCapability, writeCapability } from '../src/index.js';
import { TempDirs, expectMatchesSchema, expectPalyraError, makeContext, signalAbortingAfter } from './helpers.js';

const temps = new TempDirs();
let root: string;

beforeEach(async () => {
  root = await temps.make();
});
afterEach(() => temps.cleanup());

describe('fs.write', () => {
  it('creates a new file and refuses to replace an existing one in create mode', async () => {
    const { ctx } = makeContext({ roots: [root], write: true });
    const input = { path: 'new.txt', content: 'hé' };
    const output = await writeCapability.execute(input, ctx);
    expect(output).toEqual({ path: join(root, 'new.txt'), bytesWritten: 3 });
    expectMatchesSchema(writeCapability, 'inputSchema', input);
    expectMatchesSchema(writeCapability, 'outputSchema', output);
    expect(await readFile(join(root, 'new.txt'), 'utf8')).toBe('hé');

    const error = await expectPalyraError(writeCapability.execute({ path: 'new.txt', content: 'again' }, ctx), 'PALYRA_E_FS_IO');
    expect(error.message).toContain('already exists');
    expect(await readFile(join(root, 'new.txt'), 'utf8')).toBe('hé');
  });

  it('overwrites atomically, keeps the permissions and leaves no temp file', async () => {
    await writeFile(join(root, 'conf.txt'), 'old content that is longer');
    await chmod(join(root, 'conf.txt'), 0o640);
    const { ctx } = makeContext({ roots: [root], write: true });
    const input = { path: 'conf.txt', content: 'new', mode: 'overwrite' as const };
    expectMatchesSchema(writeCapability, 'inputSchema', input);
    expect(await writeCapability.execute(input, ctx)).toEqual({ path: join(root, 'conf.txt'), bytesWritten: 3 });
    expect(await readFile(join(root, 'conf.txt'), 'utf8')).toBe('new');
    expect((await stat(join(root, 'conf.txt'))).mode & 0o777).toBe(0o640);
    expect(await readdir(root)).toEqual(['conf.txt']);

    // Overwrite also creates.
    await writeCapability.execute({ path: 'fresh.txt', content: 'x', mode: 'overwrite' }, ctx);
    expect(await readFile(join(root, 'fresh.txt'), 'utf8')).toBe('x');
  });

  it('overwriting through a symlink inside the root replaces the target and keeps the link', async () => {
    await writeFile(join(root, 'real.txt'), 'old');
    await symlink('real.txt', join(root, 'link.txt'));
    const { ctx } = makeContext({ roots: [root], write: true });
    await writeCapability.execute({ path: 'link.txt', content: 'new', mode: 'overwrite' }, ctx);
    expect(await readFile(join(root, 'real.txt'), 'utf8')).toBe('new');
    expect((await readdir(root)).sort()).toEqual(['link.txt', 'real.txt']);
  });

  it('keeps the permission bits of an overwritten file but never its set-user-ID, set-group-ID or sticky bits', async () => {
    // Someone who can write in the root plants a setuid file; an overwrite must not turn the
    // caller's content into a setuid file owned by the agent.
    await writeFile(join(root, 'tool'), '#!/bin/sh\n');
    await chmod(join(root, 'tool'), 0o7755);
    expect((await stat(join(root, 'tool'))).mode & 0o7000).not.toBe(0);
    const { ctx } = makeContext({ roots: [root], write: true });
    await writeCapability.execute({ path: 'tool', content: '#!/bin/sh\nid\n', mode: 'overwrite' }, ctx);
    expect((await stat(join(root, 'tool'))).mode & 0o7777).toBe(0o755);
  });

  it('refuses to overwrite a directory', async () => {
    await mkdir(join(root, 'dir'));
    const { ctx } = makeContext({ roots: [root], write: true });
    await expectPalyraError(writeCapability.execute({ path: 'dir', content: 'x', mode: 'overwrite' }, ctx), 'PALYRA_E_FS_IO');
    await expectPalyraError(writeCapability.execute({ path: '.', content: 'x', mode: 'overwrite' }, ctx), 'PALYRA_E_FS_IO');
  });

  it('appends, creating the file when missing', async () => {
    const { ctx } = makeContext({ roots: [root], write: true });
    await writeCapability.execute({ path: 'log.txt', content: 'one\n', mode: 'append' }, ctx);
    const output = await writeCapability.execute({ path: 'log.txt', content: 'two\n', mode: 'append' }, ctx);
    expect(output.bytesWritten).toBe(4);
    expect(await readFile(join(root, 'log.txt'), 'utf8')).toBe('one\ntwo\n');
  });

  it('creates missing parent directories only with mkdirs', async () => {
    const { ctx } = makeContext({ roots: [root], write: true });
    const error = await expectPalyraError(writeCapability.execute({ path: 'a/b/c.txt', content: 'x' }, ctx), 'PALYRA_E_FS_NOT_FOUND');
    expect(error.message).toContain('mkdirs');
    const input = { path: 'a/b/c.txt', content: 'x', mkdirs: true };
    expectMatchesSchema(writeCapability, 'inputSchema', input);
    expect(await writeCapability.execute(input, ctx)).toEqual({ path: join(root, 'a/b/c.txt'), bytesWritten: 1 });
    expect(await readFile(join(root, 'a/b/c.txt'), 'utf8')).toBe('x');
  });

  it('round-trips binary content through base64', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const { ctx } = makeContext({ roots: [root], write: true });
    const written = await writeCapability.execute({ path: 'all-bytes.bin', content: bytes.toString('base64'), encoding: 'base64' }, ctx);
    expect(written.bytesWritten).toBe(256);
    expect(await readFile(join(root, 'all-bytes.bin'))).toEqual(bytes);
    const read = await readCapability.execute({ path: 'all-bytes.bin', encoding: 'base64' }, ctx);
    expect(Buffer.from(read.content, 'base64')).toEqual(bytes);
  });

  it('refuses base64 that is not canonical', async () => {
    const { ctx } = makeContext({ roots: [root], write: true });
    for (const content of ['not base64!', 'YQ', 'YQ==\n', 'Y Q==']) {
      await expectPalyraError(writeCapability.execute({ path: 'x.bin', content, encoding: 'base64' }, ctx), 'PALYRA_E_INPUT_INVALID');
    }
    expect(await readdir(root)).toEqual([]);
  });

  it('requires grants.write', async () => {
    for (const grants of [{ roots: [root] }, { roots: [root], write: false }]) {
      const { ctx } = makeContext(grants);
      const error = await expectPalyraError(writeCapability.execute({ path: 'x.txt', content: 'x' }, ctx), 'PALYRA_E_CAPABILITY_DENIED');
      expect(error.message).toContain('write: true');
    }
    expect(await readdir(root)).toEqual([]);
  });

  it('refuses content larger than maxWriteBytes', async () => {
    const { ctx } = makeContext({ roots: [root], write: true, maxWriteBytes: 4 });
    await expectPalyraError(writeCapability.execute({ path: 'x.txt', content: '12345' }, ctx), 'PALYRA_E_LIMIT_EXCEEDED');
    await expectPalyraError(
      writeCapability.execute({ path: 'x.bin', content: Buffer.alloc(5).toString('base64'), encoding: 'base64' }, ctx),
      'PALYRA_E_LIMIT_EXCEEDED',
    );
    expect((await writeCapability.execute({ path: 'x.txt', content: '1234' }, ctx)).bytesWritten).toBe(4);
  });

  it('applies the 8 MiB default limit', async () => {
    const { ctx } = makeContext({ roots: [root], write: true });
    await expectPalyraError(writeCapability.execute({ path: 'x.txt', content: 'x'.repeat(8 * 1024 * 1024 + 1) }, ctx), 'PALYRA_E_LIMIT_EXCEEDED');
  });

  it('writes nothing once the signal is aborted, and keeps a PalyraError reason', async () => {
    const { ctx, controller } = makeContext({ roots: [root], write: true });
    controller.abort(new PalyraError('PALYRA_E_TIMEOUT', 'dispatch deadline passed'));
    await expectPalyraError(writeCapability.execute({ path: 'x.txt', content: 'x' }, ctx), 'PALYRA_E_TIMEOUT');
    expect(await readdir(root)).toEqual([]);
  });

  it('an overwrite aborted while writing leaves the old file and no temp file', async () => {
    await writeFile(join(root, 'keep.txt'), 'old');
    // Checks: start, before writing, then one per 1 MiB chunk: abort during the chunks.
    const { ctx } = makeContext({ roots: [root], write: true }, signalAbortingAfter(3));
    const content = 'x'.repeat(3 * 1024 * 1024);
    await expectPalyraError(writeCapability.execute({ path: 'keep.txt', content, mode: 'overwrite' }, ctx), 'PALYRA_E_CANCELLED');
    expect(await readFile(join(root, 'keep.txt'), 'utf8')).toBe('old');
    expect(await readdir(root)).toEqual(['keep.txt']);
  });
});
