import { execFile } from 'node:child_process';
import { PalyraError } from '../errors/index.js';
import type { ServiceProgram, ServiceScope } from './types.js';

/** Test seam: the systemctl binary to run (a host without systemd cannot run the real one). */
export const TEST_SYSTEMCTL_ENV = 'PALYRA_TEST_SYSTEMCTL';

const STEP_TIMEOUT_MS = 60_000;
const OUTPUT_LIMIT = 1024 * 1024;

export interface StepResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one host command (systemctl, id, useradd) without a shell; never throws for a non-zero exit. */
export function runStep(file: string, args: readonly string[], signal?: AbortSignal): Promise<StepResult & { missing: boolean }> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: STEP_TIMEOUT_MS, maxBuffer: OUTPUT_LIMIT, signal, env: { ...process.env, LC_ALL: 'C', SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0' } }, (error, stdout, stderr) => {
      if (error === null) {
        resolve({ code: 0, stdout, stderr, missing: false });
        return;
      }
      const errno = (error as NodeJS.ErrnoException).code;
      if (errno === 'ENOENT' || errno === 'EACCES') {
        resolve({ code: 127, stdout, stderr: `${file}: ${errno}`, missing: true });
        return;
      }
      if (error.name === 'AbortError') {
        reject(new PalyraError('PALYRA_E_CANCELLED', `${file} ${args.join(' ')} was cancelled`, { cause: error }));
        return;
      }
      const code = typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr: stderr !== '' ? stderr : error.message, missing: false });
    });
  });
}

/** The first line a failed step printed, for an error message. */
export function firstLine(result: StepResult): string {
  return (result.stderr.trim() || result.stdout.trim()).split('\n')[0]?.slice(0, 300) ?? '';
}

/** systemctl for one scope, after checking that a systemd manager answers. */
export class Systemctl {
  private constructor(
    private readonly binary: string,
    private readonly scope: ServiceScope,
  ) {}

  /**
   * Fails with PALYRA_E_SYSTEMD_UNAVAILABLE, naming what to run instead, when there is no
   * systemctl, the host was not booted with systemd (containers, WSL without systemd), or the
   * user has no user manager (no login session, no lingering).
   */
  static async connect(program: ServiceProgram, scope: ServiceScope, signal?: AbortSignal, env: NodeJS.ProcessEnv = process.env): Promise<Systemctl> {
    const override = env[TEST_SYSTEMCTL_ENV];
    const systemctl = new Systemctl(override !== undefined && override !== '' ? override : 'systemctl', scope);
    // show-environment asks the manager itself: it fails exactly when nothing could be enabled.
    const probe = await systemctl.run(['show-environment'], signal);
    if (probe.code === 0) return systemctl;
    const why = probe.missing ? 'systemctl is not installed' : `systemctl: ${firstLine(probe)}`;
    const instead =
      scope === 'user'
        ? `no systemd user manager answers for this user (${why}): log in through a systemd session (or let the user's manager run without one: sudo loginctl enable-linger $USER), or install for the whole host with sudo ${program.binary} service install --system`
        : `this host is not running systemd (${why})`;
    throw new PalyraError(
      'PALYRA_E_SYSTEMD_UNAVAILABLE',
      `${instead}; without systemd, run \`${program.foreground}\` under the host's own supervisor (runit, s6, OpenRC, a container's entrypoint), or print the unit with \`${program.binary} service install --dry-run\``,
    );
  }

  run(args: readonly string[], signal?: AbortSignal): Promise<StepResult & { missing: boolean }> {
    return runStep(this.binary, this.scope === 'user' ? ['--user', ...args] : args, signal);
  }

  /** Runs a step that must succeed (daemon-reload, enable), else PALYRA_E_SERVICE_FAILED. */
  async must(args: readonly string[], signal?: AbortSignal): Promise<StepResult> {
    const result = await this.run(args, signal);
    if (result.code !== 0) {
      throw new PalyraError('PALYRA_E_SERVICE_FAILED', `systemctl${this.scope === 'user' ? ' --user' : ''} ${args.join(' ')} failed (exit ${result.code}): ${firstLine(result)}`);
    }
    return result;
  }

  /** `systemctl show` as a map, for status. */
  async show(unitName: string, properties: readonly string[], signal?: AbortSignal): Promise<Record<string, string>> {
    const result = await this.must(['show', unitName, `--property=${properties.join(',')}`], signal);
    const values: Record<string, string> = {};
    for (const line of result.stdout.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) values[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return values;
  }
}
