import { existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findOnPath } from '../src/findOnPath.js';
import { exec, execError, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

describe('shell.exec allowlist', () => {
  it('refuses everything when no grants are given', async () => {
    const error = await execError({ command: 'echo', args: ['hi'] }, {});
    expect(error.code).toBe('PALYRA_E_CAPABILITY_DENIED');
  });

  it('refuses a command that is not allowlisted, naming it and how to grant it', async () => {
    const dir = await tempDir();
    const marker = join(dir, 'ran');
    const error = await execError({ command: 'touch', args: [marker] }, { commands: ['echo'] });
    expect(error.code).toBe('PALYRA_E_CAPABILITY_DENIED');
    expect(error.message).toContain('"touch"');
    expect(error.message).toContain('grants.commands');
    expect(error.details).toEqual({ command: 'touch' });
    expect(existsSync(marker)).toBe(false);
  });

  it('allows an absolute path listed as such, and the name that resolves to it on PATH', async () => {
    const echo = await findOnPath('echo', process.env.PATH);
    expect(echo).not.toBeNull();
    const grants = { commands: [echo as string] };
    expect((await exec({ command: echo as string, args: ['a'] }, grants)).output.stdout).toBe('a\n');
    expect((await exec({ command: 'echo', args: ['b'] }, grants)).output.stdout).toBe('b\n');
  });

  it('allows the absolute path a listed name resolves to, and nothing else', async () => {
    const echo = (await findOnPath('echo', process.env.PATH)) as string;
    expect((await exec({ command: echo, args: ['c'] }, { commands: ['echo'] })).output.stdout).toBe('c\n');
    const dir = await tempDir();
    const other = join(dir, 'echo');
    await writeFile(other, '#!/bin/sh\necho other\n');
    await chmod(other, 0o755);
    expect((await execError({ command: other }, { commands: ['echo'] })).code).toBe('PALYRA_E_CAPABILITY_DENIED');
  });

  it('refuses relative paths, even to an allowlisted name', async () => {
    const dir = await tempDir();
    const error = await execError({ command: './echo' }, { commands: ['echo'], roots: [dir] });
    expect(error.code).toBe('PALYRA_E_CAPABILITY_DENIED');
    expect(error.message).toContain('relative path');
  });

  it("resolves names on the agent's PATH, not a PATH the caller sets", async () => {
    const dir = await tempDir();
    const fake = join(dir, 'echo');
    await writeFile(fake, '#!/bin/sh\necho evil\n');
    await chmod(fake, 0o755);
    const { output } = await exec({ command: 'echo', args: ['good'], env: { PATH: dir } }, { commands: ['echo'], env: ['PATH'] });
    expect(output.stdout).toBe('good\n');
  });
});
