import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec, execError } from './helpers.js';

const SECRET = 'PALYRA_SHELL_TEST_SECRET';
const PASSED = 'PALYRA_SHELL_TEST_PASSED';

/** Names from `env` output (one NAME=value per line). */
function names(envOutput: string): string[] {
  return envOutput
    .split('\n')
    .filter((line) => line.includes('='))
    .map((line) => line.slice(0, line.indexOf('=')))
    .sort();
}

describe('shell.exec environment', () => {
  beforeAll(() => {
    process.env[SECRET] = 'must-not-leak';
    process.env[PASSED] = 'from-the-agent';
  });
  afterAll(() => {
    delete process.env[SECRET];
    delete process.env[PASSED];
  });

  it("gives the child only PATH by default, none of the agent's environment", async () => {
    const { output } = await exec({ command: 'env' }, { commands: ['env'] });
    expect(names(output.stdout)).toEqual(['PATH']);
    expect(output.stdout).toContain(`PATH=${process.env.PATH}\n`);
    expect(output.stdout).not.toContain('must-not-leak');
  });

  it('shows the same through node: process.env has PATH and granted names only', async () => {
    const node = process.execPath;
    const { output } = await exec(
      { command: node, args: ['-e', 'process.stdout.write(JSON.stringify(Object.keys(process.env).sort()))'], env: { GREETING: 'hi' } },
      { commands: [node], env: ['GREETING', PASSED] },
    );
    expect(JSON.parse(output.stdout)).toEqual(['GREETING', 'PATH', PASSED].sort());
  });

  it('passes granted names through from the agent and lets the caller set them', async () => {
    const grants = { commands: ['env'], env: [PASSED, 'GREETING', 'UNSET_ON_AGENT'] };
    const passed = await exec({ command: 'env' }, grants);
    expect(names(passed.output.stdout)).toEqual(['PATH', PASSED].sort());
    expect(passed.output.stdout).toContain(`${PASSED}=from-the-agent\n`);
    const set = await exec({ command: 'env', env: { [PASSED]: 'from-the-caller', GREETING: 'a b; $(c)' } }, grants);
    expect(set.output.stdout).toContain(`${PASSED}=from-the-caller\n`);
    expect(set.output.stdout).toContain('GREETING=a b; $(c)\n');
  });

  it('refuses to set a name that is not granted, naming it', async () => {
    const error = await execError({ command: 'env', env: { [SECRET]: 'x', LD_PRELOAD: '/tmp/x.so' } }, { commands: ['env'] });
    expect(error.code).toBe('PALYRA_E_CAPABILITY_DENIED');
    expect(error.message).toContain(`"${SECRET}"`);
    expect(error.message).toContain('"LD_PRELOAD"');
    expect(error.message).toContain('grants.env');
  });
});
