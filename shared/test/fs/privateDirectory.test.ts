/**
 * checkPrivateDirectory walks the way to a state directory itself (lstat, readlink): the
 * cases that need no second user. The owner cases (another uid's directory, link, ancestor
 * or file) run against the built programs in test/e2e/foreign-state-dir.test.ts.
 */
import { chmod, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PalyraError, StateDirectory, checkPrivateDirectory, readOwnFile } from '../../src/index.js';

const dirs: string[] = [];

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palyra-private-dir-'));
  dirs.push(dir);
  return dir;
}

async function refusal(promise: Promise<unknown>): Promise<PalyraError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PalyraError);
  return error as PalyraError;
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe.skipIf(process.platform === 'win32')('checkPrivateDirectory', () => {
  it('creates a missing directory 0700, through a link of ours to a place that does not exist yet', async () => {
    const root = await scratch();
    await symlink('real/nested', join(root, 'link'));
    expect(await checkPrivateDirectory(join(root, 'link'), { create: true })).toBe(true);
    expect((await stat(join(root, 'real', 'nested'))).mode & 0o777).toBe(0o700);
    expect(await checkPrivateDirectory(join(root, 'missing'))).toBe(false);
    await expect(stat(join(root, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('follows relative links with .. the way the kernel does', async () => {
    const root = await scratch();
    await mkdir(join(root, 'a', 'state'), { recursive: true, mode: 0o700 });
    await mkdir(join(root, 'b'), { mode: 0o700 });
    await symlink('../a/state', join(root, 'b', 'link'));
    expect((await StateDirectory.open(join(root, 'b', 'link'))).path).toBe(join(root, 'b', 'link'));
  });

  it('refuses an ancestor that group or others can write without the sticky bit, and accepts one with it', async () => {
    const root = await scratch();
    const shared = join(root, 'shared');
    await mkdir(join(shared, 'state'), { recursive: true, mode: 0o700 });
    await chmod(shared, 0o777);
    const error = await refusal(StateDirectory.open(join(shared, 'state')));
    expect(error.code).toBe('PALYRA_E_STATE_PERMISSIONS');
    expect(error.message).toContain(`is inside ${shared}, which group or others can write (mode 0777, no sticky bit)`);
    await chmod(shared, 0o1777);
    expect((await StateDirectory.open(join(shared, 'state'))).path).toBe(join(shared, 'state'));
  });

  it('refuses a state dir others can reach, a file in its place, and a loop of links', async () => {
    const root = await scratch();
    await mkdir(join(root, 'open'), { mode: 0o755 });
    await chmod(join(root, 'open'), 0o755);
    expect((await refusal(StateDirectory.open(join(root, 'open')))).message).toContain(`run \`chmod 700 ${join(root, 'open')}\``);
    await writeFile(join(root, 'file'), 'x');
    expect((await refusal(StateDirectory.open(join(root, 'file')))).code).toBe('PALYRA_E_STATE_IO');
    await symlink('loop-b', join(root, 'loop-a'));
    await symlink('loop-a', join(root, 'loop-b'));
    expect((await refusal(StateDirectory.open(join(root, 'loop-a')))).message).toMatch(/too many levels of symbolic links/);
  });
});

describe.skipIf(process.platform === 'win32')('readOwnFile', () => {
  it('refuses a link, a secret others can read and a public file others can write', async () => {
    const root = await scratch();
    const file = join(root, 'key');
    await writeFile(file, 'k', { mode: 0o600 });
    await symlink(file, join(root, 'link'));
    const options = { secret: true, maxBytes: 10 };
    expect((await readOwnFile(file, options))?.toString()).toBe('k');
    expect((await refusal(readOwnFile(join(root, 'link'), options))).message).toContain('is a symbolic link');
    await chmod(file, 0o640);
    expect((await refusal(readOwnFile(file, options))).message).toContain(`chmod 600 ${file}`);
    expect((await readOwnFile(file, { secret: false, maxBytes: 10 }))?.toString()).toBe('k');
    await chmod(file, 0o664);
    expect((await refusal(readOwnFile(file, { secret: false, maxBytes: 10 }))).message).toContain(`chmod go-w ${file}`);
    expect(await readOwnFile(join(root, 'none'), options)).toBeUndefined();
  });
});
