import { describe, expect, it } from 'vitest';
import { exec, execError } from './helpers.js';

describe('shell.exec with shell: true', () => {
  it('is refused without grants.allowShell, even when sh is allowlisted', async () => {
    const error = await execError({ command: 'echo hi | tr a-z A-Z', shell: true }, { commands: ['sh', 'echo', 'tr'] });
    expect(error.code).toBe('PALYRA_E_CAPABILITY_DENIED');
    expect(error.message).toContain('allowShell');
  });

  it('is refused when allowShell is anything but true', async () => {
    const error = await execError({ command: 'echo hi', shell: true }, { allowShell: false });
    expect(error.code).toBe('PALYRA_E_CAPABILITY_DENIED');
  });

  it('runs the string with /bin/sh -c when allowShell is true', async () => {
    const { output } = await exec({ command: 'echo hi | tr a-z A-Z; exit 4', shell: true }, { allowShell: true });
    expect(output).toMatchObject({ exitCode: 4, stdout: 'HI\n' });
  });

  it('passes args as $1, $2, ... and never splices them into the string', async () => {
    const { output } = await exec(
      { command: 'printf "%s|" "$@"', args: ['a b', '; echo injected', '$(id)'], shell: true },
      { allowShell: true },
    );
    expect(output.stdout).toBe('a b|; echo injected|$(id)|');
  });
});
