import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statCapability } from '../src/index.js';
import { TempDirs, expectMatchesSchema, expectPalyraError, makeContext } from './helpers.js';

const temps = new TempDirs();
let root: string;
let outside: string;

beforeEach(async () => {
  root = await temps.make();
  outside = await temps.make('palyra-outside-');
});
afterEach(() => temps.cleanup());

describe('fs.stat', () => {
  it('describes a file, a directory and the root', async () => {
    await writeFile(join(root, 'run.sh'), '#!/bin/sh\n');
    await chmod(join(root, 'run.sh'), 0o750);
    await mkdir(join(root, 'dir'));
    const { ctx } = makeContext({ roots: [root] });

    const input = { path: 'run.sh' };
    const output = await statCapability.execute(input, ctx);
    expect(output).toMatchObject({ path: join(root, 'run.sh'), type: 'file', size: 10, mode: '0750' });
    expectMatchesSchema(statCapability, 'inputSchema', input);
    expectMatchesSchema(statCapability, 'outputSchema', output);

    const dir = await statCapability.execute({ path: 'dir' }, ctx);
    expect(dir.type).toBe('directory');
    expectMatchesSchema(statCapability, 'outputSchema', dir);
    expect((await statCapability.execute({ path: '.' }, ctx)).path).toBe(root);
  });

  it('reports a symlink as such without following it, even one that points outside', async () => {
    await writeFile(join(outside, 'secret.txt'), 'a secret of some length');
    await symlink(join(outside, 'secret.txt'), join(root, 'link'));
    const { ctx } = makeContext({ roots: [root] });
    const output = await statCapability.execute({ path: 'link' }, ctx);
    expect(output.type).toBe('symlink');
    expect(output.size).toBe(join(outside, 'secret.txt').length);
    expectMatchesSchema(statCapability, 'outputSchema', output);
  });

  it('refuses a path below a symlinked directory that leads outside', async () => {
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await symlink(outside, join(root, 'escape'));
    const { ctx } = makeContext({ roots: [root] });
    await expectPalyraError(statCapability.execute({ path: 'escape/secret.txt' }, ctx), 'PALYRA_E_CAPABILITY_DENIED');
  });

  it('reports a missing path', async () => {
    const { ctx } = makeContext({ roots: [root] });
    await expectPalyraError(statCapability.execute({ path: 'missing' }, ctx), 'PALYRA_E_FS_NOT_FOUND');
    await expectPalyraError(statCapability.execute({ path: 'missing/deeper' }, ctx), 'PALYRA_E_FS_NOT_FOUND');
  });

  it('does nothing once the signal is aborted', async () => {
    const { ctx, controller } = makeContext({ roots: [root] });
    controller.abort();
    await expectPalyraError(statCapability.execute({ path: '.' }, ctx), 'PALYRA_E_CANCELLED');
  });
});
