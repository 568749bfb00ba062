import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const READER = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'readTtyAsSessionLeader.mjs');
/** Opens a pseudo-terminal and runs the reader on its device in a new session (python3: Node cannot open a pty). */
const OPEN_PTY_AND_READ = `
import os, subprocess, sys
master, slave = os.openpty()
path = os.ttyname(slave)
done = subprocess.run(['node', sys.argv[1], path, os.path.dirname(path)], start_new_session=True, capture_output=True, text=True)
sys.stdout.write(done.stdout)
sys.stderr.write(done.stderr)
sys.exit(done.returncode)
`;

describe.skipIf(process.platform !== 'linux' || !existsSync('/dev/ptmx'))('fs.read on a terminal device', () => {
  it('never makes the device the controlling terminal of an agent that leads its session', () => {
    const run = spawnSync('python3', ['-c', OPEN_PTY_AND_READ, READER], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    const outcome = JSON.parse(run.stdout.trim()) as { before: number; after: number; status: string; code: string | null };
    expect(outcome.before).toBe(0);
    // A hangup or ^C on that terminal would otherwise reach the agent.
    expect(outcome.after).toBe(0);
    expect(outcome).toMatchObject({ status: 'failed', code: 'PALYRA_E_FS_IO' });
  });
});
