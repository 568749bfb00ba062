import { mkdir, readFile, readdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PalyraError } from '@palyra/shared';
import filesystemPlugin, { listCapability, readCapability, removeCapability, statCapability, writeCapability } from '../src/index.js';
import { confinePath } from '../src/confine.js';
import { READ_FLAGS, openIn } from '../src/handles.js';
import { TempDirs, expectPalyraError, makeContext } from './helpers.js';

const temps = new TempDirs();
let root: string;
let outside: string;

beforeEach(async () => {
  root = await temps.make();
  outside = await temps.make('palyra-outside-');
  await writeFile(join(outside, 'secret.txt'), 'TOP-SECRET');
  await mkdir(join(root, 'sub'));
  await writeFile(join(root, 'sub/file.txt'), 'inside');
});
afterEach(() => temps.cleanup());

/** Every capability, with an input naming `path`; reads and writes alike must refuse. */
function everyCapability(path: string) {
  return [
    () => readCapability.execute({ path }, makeContext({ roots: [root], write: true }).ctx),
    () => writeCapability.execute({ path, content: 'x', mode: 'overwrite', mkdirs: true }, makeContext({ roots: [root], write: true }).ctx),
    () => listCapability.execute({ path }, makeContext({ roots: [root], write: true }).ctx),
    () => statCapability.execute({ path }, makeContext({ roots: [root], write: true }).ctx),
    () => removeCapability.execute({ path, recursive: true }, makeContext({ roots: [root], write: true }).ctx),
  ];
}

async function expectDenied(promise: Promise<unknown>, path: string): Promise<PalyraError> {
  const error = await expectPalyraError(promise, 'PALYRA_E_CAPABILITY_DENIED');
  expect(error.message).toContain(JSON.stringify(path));
  expect(error.message).toContain(root);
  expect(error.message).not.toContain('TOP-SECRET');
  return error;
}

describe('confinement to the granted roots', () => {
  it('resolves .. lexically and refuses paths that climb out of the root', async () => {
    const name = outside.split('/').pop() ?? '';
    for (const path of ['..', `../${name}/secret.txt`, `sub/../../${name}/secret.txt`, `${root}/../${name}/secret.txt`, `${root}/sub/../..`]) {
      for (const run of everyCapability(path)) await expectDenied(run(), path);
    }
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('TOP-SECRET');

    const { ctx } = makeContext({ roots: [root] });
    expect((await readCapability.execute({ path: 'sub/../sub/./file.txt' }, ctx)).content).toBe('inside');
    expect((await readCapability.execute({ path: `${root}/sub/../sub/file.txt` }, ctx)).path).toBe(join(root, 'sub/file.txt'));
  });

  it('refuses an absolute path outside every root', async () => {
    for (const path of [join(outside, 'secret.txt'), '/etc/passwd', '/']) {
      for (const run of everyCapability(path)) await expectDenied(run(), path);
    }
    // A sibling whose name merely starts with the root's name is outside too.
    await mkdir(`${root}-sibling`);
    try {
      const { ctx } = makeContext({ roots: [root] });
      await expectDenied(statCapability.execute({ path: `${root}-sibling` }, ctx), `${root}-sibling`);
    } finally {
      await import('node:fs/promises').then((fs) => fs.rm(`${root}-sibling`, { recursive: true }));
    }
  });

  it('refuses a file symlink that points outside, without revealing the target', async () => {
    await symlink(join(outside, 'secret.txt'), join(root, 'link.txt'));
    const { ctx } = makeContext({ roots: [root], write: true });
    const error = await expectDenied(readCapability.execute({ path: 'link.txt' }, ctx), 'link.txt');
    expect(error.message).not.toContain(outside);
    for (const mode of ['create', 'overwrite', 'append'] as const) {
      await expectDenied(writeCapability.execute({ path: 'link.txt', content: 'pwned', mode }, ctx), 'link.txt');
    }
    await expectDenied(listCapability.execute({ path: 'link.txt' }, ctx), 'link.txt');
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('TOP-SECRET');
  });

  it('refuses a directory symlink that points outside, at any depth', async () => {
    await symlink(outside, join(root, 'escape'));
    await symlink(outside, join(root, 'sub/escape'));
    for (const path of ['escape/secret.txt', 'sub/escape/secret.txt', 'escape', join(root, 'escape/secret.txt')]) {
      const runs = everyCapability(path);
      // stat and remove of the symlink itself act on the link, which is inside the root.
      const relevant = path.endsWith('escape') ? runs.slice(0, 3) : runs;
      for (const run of relevant) await expectDenied(run(), path);
    }
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it('refuses to write a new file below a symlinked parent, with or without mkdirs', async () => {
    await symlink(outside, join(root, 'escape'));
    const { ctx } = makeContext({ roots: [root], write: true });
    for (const path of ['escape/new.txt', 'escape/a/b/new.txt', 'sub/../escape/new.txt']) {
      for (const mode of ['create', 'overwrite', 'append'] as const) {
        await expectDenied(writeCapability.execute({ path, content: 'x', mode, mkdirs: true }, ctx), path);
        await expectDenied(writeCapability.execute({ path, content: 'x', mode }, ctx), path);
      }
    }
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it('refuses a dangling symlink: a write through it would create a file outside', async () => {
    await symlink(join(outside, 'planted.txt'), join(root, 'dangling'));
    await symlink(join(outside, 'nodir'), join(root, 'dangling-dir'));
    const { ctx } = makeContext({ roots: [root], write: true });
    for (const mode of ['create', 'overwrite', 'append'] as const) {
      await expectDenied(writeCapability.execute({ path: 'dangling', content: 'x', mode }, ctx), 'dangling');
      await expectDenied(writeCapability.execute({ path: 'dangling-dir/f.txt', content: 'x', mode, mkdirs: true }, ctx), 'dangling-dir/f.txt');
    }
    await expectDenied(readCapability.execute({ path: 'dangling' }, ctx), 'dangling');
    expect(await readdir(outside)).toEqual(['secret.txt']);
    // The link itself can still be inspected and removed.
    expect((await statCapability.execute({ path: 'dangling' }, ctx)).type).toBe('symlink');
    expect(await removeCapability.execute({ path: 'dangling' }, ctx)).toMatchObject({ removed: true });
  });

  it('refuses a symlink loop', async () => {
    await symlink(join(root, 'loop-b'), join(root, 'loop-a'));
    await symlink(join(root, 'loop-a'), join(root, 'loop-b'));
    const { ctx } = makeContext({ roots: [root], write: true });
    await expectDenied(readCapability.execute({ path: 'loop-a' }, ctx), 'loop-a');
    await expectDenied(writeCapability.execute({ path: 'loop-a/x', content: 'x', mkdirs: true }, ctx), 'loop-a/x');
  });

  it('follows a symlink that stays inside the root', async () => {
    await symlink(join(root, 'sub'), join(root, 'alias'));
    await symlink('sub/file.txt', join(root, 'file-alias'));
    const { ctx } = makeContext({ roots: [root], write: true });
    expect((await readCapability.execute({ path: 'alias/file.txt' }, ctx)).content).toBe('inside');
    expect((await readCapability.execute({ path: 'file-alias' }, ctx)).content).toBe('inside');
    await writeCapability.execute({ path: 'alias/new.txt', content: 'n' }, ctx);
    expect(await readFile(join(root, 'sub/new.txt'), 'utf8')).toBe('n');
  });

  it('walks a relative symlink target with .. from the link, never above the root', async () => {
    await symlink('..', join(root, 'sub/up'));
    await symlink('../..', join(root, 'sub/out'));
    await symlink('../sub/./file.txt', join(root, 'sub/rel-file'));
    const { ctx } = makeContext({ roots: [root], write: true });
    expect((await readCapability.execute({ path: 'sub/up/sub/file.txt' }, ctx)).content).toBe('inside');
    expect((await readCapability.execute({ path: 'sub/rel-file' }, ctx)).content).toBe('inside');
    expect((await listCapability.execute({ path: 'sub/up' }, ctx)).entries.map((e) => e.path)).toEqual(['sub']);
    const name = outside.split('/').pop() ?? '';
    for (const path of ['sub/out', `sub/out/${name}/secret.txt`]) {
      for (const run of everyCapability(path).slice(0, 3)) await expectDenied(run(), path);
    }
    await expectDenied(writeCapability.execute({ path: `sub/out/${name}/new.txt`, content: 'x' }, ctx), `sub/out/${name}/new.txt`);
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it('refuses a NUL byte', async () => {
    const path = 'sub/file.txt\0.png';
    for (const run of everyCapability(path)) {
      const error = await expectPalyraError(run(), 'PALYRA_E_CAPABILITY_DENIED');
      expect(error.message).toContain('NUL');
    }
  });

  it('refuses every path when no roots are granted', async () => {
    for (const grants of [{}, { roots: [] }, { roots: [], write: true }]) {
      const { ctx } = makeContext(grants);
      for (const path of ['sub/file.txt', join(root, 'sub/file.txt')]) {
        const error = await expectPalyraError(readCapability.execute({ path }, ctx), 'PALYRA_E_CAPABILITY_DENIED');
        expect(error.message).toContain('no granted roots');
        await expectPalyraError(listCapability.execute({ path }, ctx), 'PALYRA_E_CAPABILITY_DENIED');
        await expectPalyraError(statCapability.execute({ path }, ctx), 'PALYRA_E_CAPABILITY_DENIED');
      }
    }
  });

  it('takes relative paths from the first root and absolute paths in any root', async () => {
    const second = await temps.make('palyra-second-');
    await writeFile(join(second, 'other.txt'), 'second root');
    const { ctx } = makeContext({ roots: [root, second] });
    expect((await readCapability.execute({ path: join(second, 'other.txt') }, ctx)).content).toBe('second root');
    await expectPalyraError(readCapability.execute({ path: 'other.txt' }, ctx), 'PALYRA_E_FS_NOT_FOUND');
    const listed = await listCapability.execute({ path: second }, ctx);
    expect(listed.entries.map((e) => e.path)).toEqual(['other.txt']);
  });

  it('refuses a symlink from one root into another root', async () => {
    const second = await temps.make('palyra-second-');
    await writeFile(join(second, 'other.txt'), 'second root');
    await symlink(second, join(root, 'to-second'));
    const { ctx } = makeContext({ roots: [root, second] });
    await expectDenied(readCapability.execute({ path: 'to-second/other.txt' }, ctx), 'to-second/other.txt');
  });

  it('accepts a root configured through a symlink, by either spelling', async () => {
    const holder = await temps.make('palyra-holder-');
    const linkedRoot = join(holder, 'linked-root');
    await symlink(root, linkedRoot);
    const { ctx } = makeContext({ roots: [linkedRoot] });
    expect((await readCapability.execute({ path: 'sub/file.txt' }, ctx)).path).toBe(join(linkedRoot, 'sub/file.txt'));
    expect((await readCapability.execute({ path: join(linkedRoot, 'sub/file.txt') }, ctx)).content).toBe('inside');
    expect((await readCapability.execute({ path: join(root, 'sub/file.txt') }, ctx)).content).toBe('inside');
  });

  it('reports a granted root that does not exist, and rejects a relative root', async () => {
    const missing = join(outside, 'no-such-root');
    await expectPalyraError(readCapability.execute({ path: 'x' }, makeContext({ roots: [missing] }).ctx), 'PALYRA_E_FS_NOT_FOUND');
    await expectPalyraError(readCapability.execute({ path: 'x' }, makeContext({ roots: ['relative/root'] }).ctx), 'PALYRA_E_CONFIG_INVALID');
    const setup = filesystemPlugin.setup?.({ signal: new AbortController().signal, grants: { roots: ['relative/root'] }, logger: makeContext({}).ctx.logger });
    await expectPalyraError(Promise.resolve(setup), 'PALYRA_E_CONFIG_INVALID');
  });

  it('acts inside the directory it walked: a parent swapped for a symlink after the walk redirects nothing', async () => {
    await mkdir(join(outside, 'sub'));
    await writeFile(join(outside, 'sub/file.txt'), 'TOP-SECRET');
    const target = await confinePath('sub/file.txt', [root], { followFinal: true, signal: new AbortController().signal });
    try {
      // The race, won by the attacker: after the walk, sub becomes a symlink to outside/sub.
      await rename(join(root, 'sub'), join(root, 'sub-moved'));
      await symlink(join(outside, 'sub'), join(root, 'sub'));
      const { handle } = await openIn(target.dir, target.name, READ_FLAGS, { input: 'sub/file.txt', roots: [root] }, 'read');
      try {
        expect(await handle.readFile('utf8')).toBe('inside');
      } finally {
        await handle.close();
      }
      await writeFile(target.dir.at('new.txt'), 'created');
    } finally {
      await target.close();
    }
    expect(await readFile(join(root, 'sub-moved/new.txt'), 'utf8')).toBe('created');
    expect((await readdir(join(outside, 'sub'))).sort()).toEqual(['file.txt']);
    // A walk now meets the symlink and refuses it.
    await expectDenied(readCapability.execute({ path: 'sub/file.txt' }, makeContext({ roots: [root] }).ctx), 'sub/file.txt');
  });

  it('never holds a descriptor after an operation', async () => {
    const before = (await readdir('/proc/self/fd')).length;
    for (const run of everyCapability('sub/file.txt')) await run().catch(() => undefined);
    for (const run of everyCapability('no/such/path')) await run().catch(() => undefined);
    await listCapability.execute({ path: '.', recursive: true }, makeContext({ roots: [root] }).ctx);
    expect((await readdir('/proc/self/fd')).length).toBe(before);
  });
});
