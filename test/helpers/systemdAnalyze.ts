import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The uid/gid a root test run verifies as, to cover a non-root operator (Debian's nobody/nogroup). */
export const NOBODY = 65534;

export const isRoot = (): boolean => process.getuid?.() === 0;

export interface VerifyResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `systemd-analyze [--user] verify FILE`, the real one (the Debian `systemd` package, which
 * scripts/install-system-deps.sh installs), as this process or, from root, as nobody.
 * A user-scope check needs a runtime directory of its own (no login session here).
 * Exit 0 with an empty stderr means the unit parses without a single warning.
 */
export async function systemdVerify(file: string, options: { scope: 'user' | 'system'; asNobody?: boolean; runtimeDir: string }): Promise<VerifyResult> {
  const runtime = join(options.runtimeDir, options.asNobody === true ? 'nobody' : 'self');
  await mkdir(runtime, { recursive: true, mode: 0o700 });
  if (options.asNobody === true) await chown(runtime, NOBODY, NOBODY);
  await chmod(options.runtimeDir, 0o755);
  const args = [...(options.scope === 'user' ? ['--user'] : []), 'verify', file];
  const [bin, argv] = options.asNobody === true ? ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'systemd-analyze', ...args]] : ['systemd-analyze', args];
  return new Promise((resolve) => {
    execFile(bin, argv, { env: { PATH: process.env.PATH, XDG_RUNTIME_DIR: runtime, HOME: runtime, LC_ALL: 'C', SYSTEMD_LOG_COLOR: '0' } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 127;
      resolve({ code, stdout, stderr: error !== null && typeof error.code !== 'number' ? `${stderr}${error.message}` : stderr });
    });
  });
}

/** `systemd-analyze security --offline=yes FILE`: the overall exposure level (0 safest, 10 worst). */
export function systemdExposure(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('systemd-analyze', ['security', '--offline=yes', '--no-pager', file], { env: { PATH: process.env.PATH, LC_ALL: 'C', SYSTEMD_COLORS: '0' } }, (error, stdout, stderr) => {
      const level = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(stdout)?.[1];
      if (level === undefined) reject(new Error(`systemd-analyze security ${file}: ${error?.message ?? ''} ${stderr}`));
      else resolve(Number(level));
    });
  });
}

/**
 * What this host's systemd makes of a path with specifiers (`%S/palyra-node`) in a unit of
 * `scope`, for a manager with `env` (HOME, XDG_*): `systemd-analyze verify` of a probe unit
 * whose ExecStart is that path names the expanded path when it finds no executable there.
 */
export async function systemdExpandPath(path: string, options: { scope: 'user' | 'system'; dir: string; env: Record<string, string> }): Promise<string> {
  const runtime = join(options.dir, 'probe-run');
  await mkdir(runtime, { recursive: true, mode: 0o700 });
  const file = join(options.dir, 'palyra-expand-probe.service');
  await writeFile(file, `[Service]\nExecStart=${path}/palyra-expand-probe\n`);
  const args = [...(options.scope === 'user' ? ['--user'] : []), 'verify', file];
  return new Promise((resolve, reject) => {
    execFile('systemd-analyze', args, { env: { PATH: process.env.PATH, XDG_RUNTIME_DIR: runtime, LC_ALL: 'C', SYSTEMD_LOG_COLOR: '0', ...options.env } }, (_error, stdout, stderr) => {
      const expanded = /Command (\/\S*)\/palyra-expand-probe is not executable/.exec(`${stdout}${stderr}`)?.[1];
      if (expanded === undefined) reject(new Error(`systemd-analyze did not name the probe's path: ${stdout}${stderr}`));
      else resolve(expanded);
    });
  });
}
