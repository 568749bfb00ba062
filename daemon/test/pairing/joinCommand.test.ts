/**
 * The join command `palyrad pairing code` prints: its shape, shell quoting (run through the
 * real /bin/sh, which must hand palyra-node exactly the values meant), and the refusal of
 * characters that should never reach a pasted command line.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultAgentPackage, joinCommand } from '../../src/commands/joinCommand.js';

/**
 * Runs the command in the real /bin/sh with a PATH holding only an `npm` that prints its
 * arguments and then puts a `palyra-node` in place that prints its environment's code and its
 * arguments, one per line: the command's own quoting is what is tested.
 */
async function shWords(command: string): Promise<string> {
  const bin = await mkdtemp(join(tmpdir(), 'palyra-join-sh-'));
  try {
    const node = join(bin, 'palyra-node');
    await writeFile(node, `#!/bin/sh\nprintf '%s\\n' "PALYRA_PAIRING_CODE=$PALYRA_PAIRING_CODE" "$@"\n`);
    await writeFile(join(bin, 'npm'), `#!/bin/sh\nprintf '%s\\n' "npm" "$@"\nchmod 755 '${node}'\n`);
    await chmod(join(bin, 'npm'), 0o755);
    await chmod(node, 0o644);
    return await new Promise((resolve, reject) => {
      execFile('/bin/sh', ['-c', command], { env: { PATH: `${bin}:/usr/bin:/bin` } }, (error, stdout, stderr) => (error === null ? resolve(stdout) : reject(new Error(`${error.message}: ${stderr}`))));
    });
  } finally {
    await rm(bin, { recursive: true, force: true });
  }
}

describe('joinCommand', () => {
  it('installs the agent in step with the daemon when palyra-node is missing, then joins with the code in the environment', async () => {
    const command = joinCommand({ method: 'pin', code: '012345', uri: '', daemon: 'daemon.example.net:7443', agentPackage: defaultAgentPackage('1.2.3') });
    expect(command).toBe('command -v palyra-node >/dev/null 2>&1 || npm install -g @palyra/agent@1.2.3 && PALYRA_PAIRING_CODE=012345 palyra-node join --daemon daemon.example.net:7443');
    expect(await shWords(command)).toBe('npm\ninstall\n-g\n@palyra/agent@1.2.3\nPALYRA_PAIRING_CODE=012345\njoin\n--daemon\ndaemon.example.net:7443\n');
  });

  it('quotes a QR URI, an IPv6 address and a package with spaces and quotes so sh hands them over intact', async () => {
    const uri = 'palyra://pair?v=1&daemon=h%3A1&ca=ab&id=x&token=y';
    const command = joinCommand({ method: 'qr', code: 'y', uri, daemon: '[::1]:7443', agentPackage: "https://mirror/it's agent.tgz" });
    expect(await shWords(command)).toBe(`npm\ninstall\n-g\nhttps://mirror/it's agent.tgz\nPALYRA_PAIRING_CODE=${uri}\njoin\n--daemon\n[::1]:7443\n`);
    expect(joinCommand({ method: 'qr', code: 'y', uri, daemon: undefined, agentPackage: 'p' })).toMatch(/palyra-node join$/);
  });

  it('refuses control and non-ASCII characters (a hostile remote daemon, a look-alike)', () => {
    expect(() => joinCommand({ method: 'pin', code: '012345', uri: '', daemon: 'evil\u001b[2J:1', agentPackage: 'p' })).toThrow(/daemon address/);
    expect(() => joinCommand({ method: 'pin', code: '012345', uri: '', daemon: 'dаemon:1', agentPackage: 'p' })).toThrow(/daemon address/);
    expect(() => joinCommand({ method: 'pin', code: '012345', uri: '', daemon: 'd:1', agentPackage: 'p\nrm -rf /' })).toThrow(/agent package/);
  });
});
