/**
 * Item 7 of issue 12: relative PATH entries must not reach shell.exec's children. The agent's
 * PATH holds empty, `.` and relative entries; the command's working directory holds planted
 * programs. A granted `sh` (found correctly on /usr/bin) then calls programs by name: none of
 * the planted ones may run, and the child's PATH must hold absolute entries only.
 */
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import shellPlugin from '../src/index.js';
import { exec, useTempDirs } from './helpers.js';

/** A program only the planted copies provide: it resolves on no absolute PATH entry. */
const PLANTED_ONLY = 'palyra-planted-tool';

const tempDir = useTempDirs();
let savedPath: string | undefined;
beforeEach(() => {
  savedPath = process.env.PATH;
});
afterEach(() => {
  if (savedPath === undefined) delete process.env.PATH;
  else process.env.PATH = savedPath;
});

/** A root holding planted `id` and PLANTED_ONLY in itself and in `bin/`, each writing a marker into `markers`. */
async function plantedRoot(): Promise<{ root: string; markers: string }> {
  const root = await tempDir();
  const markers = await tempDir();
  await mkdir(join(root, 'bin'));
  for (const dir of [root, join(root, 'bin')]) {
    for (const name of ['id', PLANTED_ONLY]) {
      const file = join(dir, name);
      await writeFile(file, `#!/bin/sh\necho planted > '${join(markers, `${name}-${dir === root ? 'root' : 'bin'}`)}'\n`);
      await chmod(file, 0o755);
    }
  }
  return { root, markers };
}

/** Runs the granted `sh`, which calls `id` and PLANTED_ONLY by name and prints its PATH. */
async function runCallingByName(root: string, env?: Record<string, string>): Promise<string[]> {
  const script = `id >/dev/null 2>&1; ${PLANTED_ONLY} >/dev/null 2>&1; printf %s "$PATH"`;
  const { output } = await exec(
    { command: 'sh', args: ['-c', script], ...(env === undefined ? {} : { env }) },
    { commands: ['sh'], roots: [root], env: env === undefined ? [] : Object.keys(env) },
  );
  expect(output.exitCode, output.stderr).toBe(0);
  return output.stdout.split(delimiter);
}

describe("shell.exec's child PATH", () => {
  for (const agentPath of [':/usr/bin:.:bin', '.:/usr/bin:/bin', 'bin:/usr/bin', '/usr/bin::', '/usr/bin:./bin:']) {
    it(`holds only absolute entries, and planted programs do not run, with agent PATH "${agentPath}"`, async () => {
      const { root, markers } = await plantedRoot();
      process.env.PATH = agentPath;
      const childEntries = await runCallingByName(root);
      expect(await readdir(markers), 'a planted program ran').toEqual([]);
      expect(childEntries.length).toBeGreaterThan(0);
      for (const entry of childEntries) expect(isAbsolute(entry), `child PATH entry "${entry}"`).toBe(true);
      expect(childEntries).toEqual(agentPath.split(delimiter).filter((entry) => isAbsolute(entry)));
    });
  }

  it('falls back to the system directories when no entry is absolute, never to an empty PATH', async () => {
    const { root, markers } = await plantedRoot();
    process.env.PATH = '/usr/bin';
    // sh is resolved while PATH has it; the child then gets a PATH of relative entries only.
    const { output } = await exec(
      { command: '/usr/bin/sh', args: ['-c', `${PLANTED_ONLY}; printf %s "$PATH"`], env: { PATH: '.:bin:' } },
      { commands: ['/usr/bin/sh'], roots: [root], env: ['PATH'] },
    );
    expect(await readdir(markers)).toEqual([]);
    expect(output.stdout).toBe('/usr/local/bin:/usr/bin:/bin');
  });

  it('drops relative entries from a PATH the caller sets (PATH granted) too', async () => {
    const { root, markers } = await plantedRoot();
    process.env.PATH = '/usr/bin:/bin';
    const childEntries = await runCallingByName(root, { PATH: `.:${root}/bin:bin::/usr/bin` });
    expect(childEntries).toEqual([`${root}/bin`, '/usr/bin']);
    // The caller may name an absolute directory (PATH is granted): that one is theirs to choose.
    expect((await readdir(markers)).sort()).toEqual(['id-bin', `${PLANTED_ONLY}-bin`].sort());
  });
});

describe('the shell plugin setup', () => {
  async function setupWarnings(): Promise<string[]> {
    const warnings: string[] = [];
    const log = () => {};
    await shellPlugin.setup?.({
      signal: new AbortController().signal,
      grants: { commands: ['sh'] },
      logger: { debug: log, info: log, error: log, warn: (message) => void warnings.push(message) },
    });
    return warnings;
  }

  it('warns about the empty and relative entries of the agent PATH, naming them', async () => {
    process.env.PATH = ':/usr/bin:.:bin';
    const warnings = (await setupWarnings()).filter((line) => line.includes("agent's PATH"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"", ".", "bin"');
    expect(warnings[0]).not.toContain('/usr/bin');
  });

  it('says nothing about a PATH of absolute entries', async () => {
    process.env.PATH = '/usr/bin:/bin';
    expect(await setupWarnings()).toEqual([]);
  });
});
