import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCapability } from '../src/index.js';
import { READ_CHUNK_BYTES } from '../src/capabilities/read.js';
import { TempDirs, expectMatchesSchema, expectPalyraError, makeContext } from './helpers.js';

const temps = new TempDirs();
let root: string;

beforeEach(async () => {
  root = await temps.make();
});
afterEach(() => temps.cleanup());

describe('fs.read', () => {
  it('reads a UTF-8 file relative to the first root and by absolute path', async () => {
    await writeFile(join(root, 'hello.txt'), 'héllo wörld\n');
    const { ctx, writes, progress } = makeContext({ roots: [root] });

    const input = { path: 'hello.txt' };
    const output = await readCapability.execute(input, ctx);
    expect(output).toEqual({ path: join(root, 'hello.txt'), size: Buffer.byteLength('héllo wörld\n'), encoding: 'utf8', content: 'héllo wörld\n' });
    expectMatchesSchema(readCapability, 'inputSchema', input);
    expectMatchesSchema(readCapability, 'outputSchema', output);

    expect(await readCapability.execute({ path: join(root, 'hello.txt') }, ctx)).toEqual(output);
    expect(writes).toEqual([]);
    expect(progress).toEqual([]);
  });

  it('returns base64 when asked, and falls back to base64 for bytes that are not UTF-8', async () => {
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41, 0xc3]);
    await writeFile(join(root, 'blob.bin'), binary);
    const { ctx } = makeContext({ roots: [root] });

    const asked = await readCapability.execute({ path: 'blob.bin', encoding: 'base64' }, ctx);
    expect(asked).toMatchObject({ encoding: 'base64', size: 6, content: binary.toString('base64') });
    expectMatchesSchema(readCapability, 'outputSchema', asked);

    const fallback = await readCapability.execute({ path: 'blob.bin' }, ctx);
    expect(fallback.encoding).toBe('base64');
    expect(Buffer.from(fallback.content, 'base64')).toEqual(binary);
  });

  it('keeps a UTF-8 byte order mark', async () => {
    await writeFile(join(root, 'bom.txt'), Buffer.from([0xef, 0xbb, 0xbf, 0x61]));
    const { ctx } = makeContext({ roots: [root] });
    const output = await readCapability.execute({ path: 'bom.txt' }, ctx);
    expect(output).toMatchObject({ encoding: 'utf8', content: '\ufeffa' });
  });

  it('reads a byte range and reports the size of the whole file', async () => {
    await writeFile(join(root, 'digits.txt'), '0123456789');
    const { ctx } = makeContext({ roots: [root] });
    const input = { path: 'digits.txt', offset: 3, length: 4 };
    const output = await readCapability.execute(input, ctx);
    expect(output).toMatchObject({ size: 10, encoding: 'utf8', content: '3456' });
    expectMatchesSchema(readCapability, 'inputSchema', input);
    expect((await readCapability.execute({ path: 'digits.txt', offset: 8 }, ctx)).content).toBe('89');
    expect((await readCapability.execute({ path: 'digits.txt', offset: 20, length: 5 }, ctx)).content).toBe('');
  });

  it('refuses a file larger than maxReadBytes unless a range within the limit is given', async () => {
    await writeFile(join(root, 'big.txt'), 'x'.repeat(100));
    const { ctx } = makeContext({ roots: [root], maxReadBytes: 64 });

    const error = await expectPalyraError(readCapability.execute({ path: 'big.txt' }, ctx), 'PALYRA_E_LIMIT_EXCEEDED');
    expect(error.message).toContain('maxReadBytes is 64');
    await expectPalyraError(readCapability.execute({ path: 'big.txt', offset: 0, length: 65 }, ctx), 'PALYRA_E_LIMIT_EXCEEDED');
    await expectPalyraError(readCapability.execute({ path: 'big.txt', offset: 10 }, ctx), 'PALYRA_E_LIMIT_EXCEEDED');

    expect((await readCapability.execute({ path: 'big.txt', offset: 0, length: 64 }, ctx)).content).toBe('x'.repeat(64));
    expect((await readCapability.execute({ path: 'big.txt', offset: 40 }, ctx)).content).toBe('x'.repeat(60));
  });

  it('applies the 8 MiB default limit', async () => {
    await writeFile(join(root, 'huge.bin'), Buffer.alloc(8 * 1024 * 1024 + 1));
    const { ctx } = makeContext({ roots: [root] });
    await expectPalyraError(readCapability.execute({ path: 'huge.bin' }, ctx), 'PALYRA_E_LIMIT_EXCEEDED');
  });

  it('reports progress while reading a file of several chunks', async () => {
    const size = Math.floor(READ_CHUNK_BYTES * 2.5);
    await writeFile(join(root, 'chunks.bin'), Buffer.alloc(size, 0x61));
    const { ctx, progress } = makeContext({ roots: [root] });
    const output = await readCapability.execute({ path: 'chunks.bin' }, ctx);
    expect(output.content.length).toBe(size);
    expect(progress.map((p) => p.ratio)).toEqual([READ_CHUNK_BYTES / size, (2 * READ_CHUNK_BYTES) / size, 1]);
  });

  it('reports a missing file as PALYRA_E_FS_NOT_FOUND and a directory as PALYRA_E_FS_IO', async () => {
    await mkdir(join(root, 'dir'));
    const { ctx } = makeContext({ roots: [root] });
    await expectPalyraError(readCapability.execute({ path: 'missing.txt' }, ctx), 'PALYRA_E_FS_NOT_FOUND');
    await expectPalyraError(readCapability.execute({ path: 'nodir/missing.txt' }, ctx), 'PALYRA_E_FS_NOT_FOUND');
    const error = await expectPalyraError(readCapability.execute({ path: 'dir' }, ctx), 'PALYRA_E_FS_IO');
    expect(error.message).toContain('fs.list');
  });

  it('does nothing once the signal is aborted', async () => {
    await writeFile(join(root, 'a.txt'), 'a');
    const { ctx, controller } = makeContext({ roots: [root] });
    controller.abort();
    await expectPalyraError(readCapability.execute({ path: 'a.txt' }, ctx), 'PALYRA_E_CANCELLED');
  });
});
