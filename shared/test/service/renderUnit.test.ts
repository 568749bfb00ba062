/**
 * The unit text: systemd's quoting of paths with spaces, `%`, `$` and quotes, checked by the
 * real `systemd-analyze verify` (it fails when ExecStart's first word is not the executable we
 * meant, which a mis-quoted or mis-escaped path would be), and the refusals.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planService, quoteEnvironment, quoteExecArg, quoteExecutable, renderUnit, type ServiceProgram } from '../../src/service/index.js';

const PROGRAM: ServiceProgram = {
  binary: 'palyra-test',
  unit: 'palyra-test',
  description: 'Palyra test program',
  stateDirectory: 'palyra-test',
  systemUser: 'palyra-test',
  args: ['run', '--flag=a b'],
  configEnv: 'PALYRA_TEST_CONFIG',
  sandbox: [],
  systemSandbox: [],
  foreground: 'palyra-test run',
  followUp: [],
};

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

function verify(file: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('systemd-analyze', ['verify', file], { env: { PATH: process.env.PATH, LC_ALL: 'C' } }, (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 127, stderr });
    });
  });
}

describe('systemd quoting', () => {
  it('leaves plain words alone and quotes the rest', () => {
    expect(quoteExecArg('/usr/bin/node')).toBe('/usr/bin/node');
    expect(quoteExecArg('/opt/my app/x.js')).toBe('"/opt/my app/x.js"');
    expect(quoteExecArg('/opt/100%/$HOME/"q"\\')).toBe('"/opt/100%%/$$HOME/\\"q\\"\\\\"');
    expect(quoteExecArg('')).toBe('""');
    expect(quoteExecutable('/opt/100% $x/node')).toBe('"/opt/100%% $x/node"');
    expect(() => quoteExecutable('/opt/"q"/node')).toThrow(/quote or a backslash/);
    expect(quoteEnvironment('PALYRA_STATE_DIR', '%S/palyra', false)).toBe('PALYRA_STATE_DIR=%S/palyra');
    expect(quoteEnvironment('PALYRA_CONFIG', '/etc/a 100%.json', true)).toBe('"PALYRA_CONFIG=/etc/a 100%%.json"');
  });

  it('refuses control characters: a newline would start a directive of its own', () => {
    expect(() => quoteExecArg('/x\nExecStartPre=/bin/sh')).toThrow(/control character/);
    expect(() => quoteEnvironment('A', 'b\rc', true)).toThrow(/control character/);
  });

  it('an executable under a path with a space, % and $, and arguments with quotes, are what systemd-analyze finds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palyra-unit-quote-'));
    dirs.push(dir);
    const odd = join(dir, 'node 100%c $USER');
    await symlink(process.execPath, odd);
    const plan = planService(PROGRAM, { system: true, script: join(dir, `script "q" 100%n $HOME \\.js`), config: join(dir, 'a b%n.json') });
    const unit = renderUnit({ ...plan, exec: [odd, ...plan.exec.slice(1)] }, 'test');
    const file = join(dir, 'palyra-test.service');
    await writeFile(file, unit);
    await chmod(file, 0o644);
    expect(await verify(file)).toEqual({ code: 0, stderr: '' });
    // The same unit with the path left unescaped is caught: the check can fail.
    const broken = unit.replace(/^ExecStart=.*$/m, `ExecStart=${odd} run`);
    await writeFile(file, broken);
    expect((await verify(file)).code).not.toBe(0);
  });

  it('a user unit has no User= and no privileged sandbox; a system unit runs as its account', () => {
    const user = renderUnit(planService(PROGRAM, { user: true, script: '/opt/x.js' }), 'test');
    expect(user).not.toMatch(/^User=/m);
    expect(user).not.toMatch(/^ProtectSystem=/m);
    expect(user).toMatch(/^WantedBy=default\.target$/m);
    const system = renderUnit(planService(PROGRAM, { system: true, script: '/opt/x.js' }), 'test');
    expect(system).toMatch(/^User=palyra-test$/m);
    expect(system).toMatch(/^ExecStart=\S+ \/opt\/x\.js run "--flag=a b"$/m);
    expect(system.startsWith('# Written by Palyra: test\n')).toBe(true);
  });
});
