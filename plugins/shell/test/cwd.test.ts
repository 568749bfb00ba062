import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exec, execError, useTempDirs } from './helpers.js';

const tempDir = useTempDirs();
const node = process.execPath;
/** Prints the working directory and its mode. */
const printCwd = ['-e', "process.stdout.write(process.cwd() + ' ' + (require('fs').statSync('.').mode & 0o777).toString(8))"];

describe('shell.exec working directory with roots granted', () => {
  it('defaults to the first root', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    const { output } = await exec({ command: 'pwd' }, { commands: ['pwd'], roots: [a, b] });
    expect(output.stdout).toBe(`${a}\n`);
  });

  it('accepts a directory inside any root, absolute or relative to the first root', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    await mkdir(join(a, 'sub'));
    await mkdir(join(b, 'deep', 'er'), { recursive: true });
    const grants = { commands: ['pwd'], roots: [a, b] };
    expect((await exec({ command: 'pwd', cwd: 'sub' }, grants)).output.stdout).toBe(`${join(a, 'sub')}\n`);
    expect((await exec({ command: 'pwd', cwd: join(b, 'deep', 'er') }, grants)).output.stdout).toBe(`${join(b, 'deep', 'er')}\n`);
  });

  it('refuses a cwd outside the roots, also through ..', async () => {
    const [root, outside] = [await tempDir(), await tempDir()];
    const grants = { commands: ['pwd'], roots: [root] };
    for (const cwd of [outside, '/', join(root, '..'), '../..']) {
      const error = await execError({ command: 'pwd', cwd }, grants);
      expect(error.code, cwd).toBe('PALYRA_E_CAPABILITY_DENIED');
      expect(error.message).toContain('outside the granted roots');
    }
  });

  it('refuses a symlink inside a root that points outside it', async () => {
    const [root, outside] = [await tempDir(), await tempDir()];
    await symlink(outside, join(root, 'escape'));
    const grants = { commands: ['pwd'], roots: [root] };
    const error = await execError({ command: 'pwd', cwd: join(root, 'escape') }, grants);
    expect(error.code).toBe('PALYRA_E_CAPABILITY_DENIED');
    expect((await execError({ command: 'pwd', cwd: 'escape' }, grants)).code).toBe('PALYRA_E_CAPABILITY_DENIED');
  });

  it('accepts a symlinked root and starts in its real path', async () => {
    const [real, links] = [await tempDir(), await tempDir()];
    await symlink(real, join(links, 'root'));
    const { output } = await exec({ command: 'pwd' }, { commands: ['pwd'], roots: [join(links, 'root')] });
    expect(output.stdout).toBe(`${real}\n`);
  });

  it('is PALYRA_E_EXEC_FAILED for a missing directory or a file inside a root', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'file'), '');
    const grants = { commands: ['pwd'], roots: [root] };
    expect((await execError({ command: 'pwd', cwd: 'missing' }, grants)).code).toBe('PALYRA_E_EXEC_FAILED');
    expect((await execError({ command: 'pwd', cwd: 'file' }, grants)).code).toBe('PALYRA_E_EXEC_FAILED');
  });
});

describe('shell.exec working directory with no roots granted', () => {
  it('refuses any cwd', async () => {
    const error = await execError({ command: 'pwd', cwd: '/tmp' }, { commands: ['pwd'] });
    expect(error.code).toBe('PALYRA_E_CAPABILITY_DENIED');
    expect(error.message).toContain('grants.roots');
  });

  it('runs in a fresh private temp directory that is removed afterwards', async () => {
    const first = await exec({ command: node, args: printCwd }, { commands: [node] });
    const second = await exec({ command: node, args: printCwd }, { commands: [node] });
    const [dir, mode] = first.output.stdout.split(' ');
    expect(mode).toBe('700');
    expect(second.output.stdout.split(' ')[0]).not.toBe(dir);
    expect(existsSync(dir as string)).toBe(false);
  });
});
