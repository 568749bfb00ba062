import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PassphraseSource } from '../../src/index.js';

/** An environment with no D-Bus session bus at all. */
export const NO_BUS_ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

export const fixedPassphrase =
  (passphrase: string | undefined): PassphraseSource =>
  async () =>
    passphrase;

export { expectCode } from '../../../test/helpers/errorAssertions.js';

/** Temp dirs (0700) removed by cleanup(). */
export class TempDirs {
  private readonly dirs: string[] = [];

  async make(prefix = 'palyra-vault-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** `secret-tool lookup service S username A`: the raw secret, or undefined when there is none. */
export function secretToolLookup(service: string, account: string, env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const result = spawnSync('secret-tool', ['lookup', 'service', service, 'username', account], { env, timeout: 10_000 });
  if (result.error !== undefined) throw new Error(`secret-tool failed: ${result.error.message} (is libsecret-tools installed?)`);
  return result.status === 0 ? result.stdout : undefined;
}

function requireTool(tool: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
  if (!found) throw new Error(`${tool} is not installed: run scripts/install-system-deps.sh`);
}

function waitForLine(child: ChildProcess, what: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} printed nothing within ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const end = out.indexOf('\n');
      if (end !== -1) {
        clearTimeout(timer);
        resolve(out.slice(0, end).trim());
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${String(code)})`));
    });
  });
}

function dbusSend(env: NodeJS.ProcessEnv, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('dbus-send', ['--session', '--print-reply', '--reply-timeout=2000', ...args], { env, timeout: 10_000, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * A private session bus of this test's own, without service activation (so nothing starts a
 * secret service behind the test's back), and optionally a gnome-keyring-daemon on it. Lets
 * a test lock or freeze "the" keyring without disturbing the suite's shared one.
 */
export class PrivateBus {
  private keyring: ChildProcess | undefined;

  private constructor(
    private readonly dir: string,
    private readonly daemon: ChildProcess,
    readonly address: string,
  ) {}

  static async start(): Promise<PrivateBus> {
    requireTool('dbus-daemon');
    requireTool('dbus-send');
    const dir = await mkdtemp(join(tmpdir(), 'palyra-bus-'));
    const config = join(dir, 'bus.conf');
    await writeFile(
      config,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
    );
    const daemon = spawn('dbus-daemon', ['--config-file', config, '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const address = await waitForLine(daemon, 'dbus-daemon');
    return new PrivateBus(dir, daemon, address);
  }

  /** The environment of a process on this bus (and nothing else of ours). */
  get env(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.dir, DBUS_SESSION_BUS_ADDRESS: this.address };
  }

  get keyringPid(): number {
    if (this.keyring?.pid === undefined) throw new Error('no keyring started');
    return this.keyring.pid;
  }

  /** Starts gnome-keyring-daemon (secrets only, login keyring unlocked) and waits until it owns org.freedesktop.secrets. */
  async startKeyring(): Promise<void> {
    requireTool('gnome-keyring-daemon');
    const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
      env: { ...this.env, XDG_DATA_HOME: join(this.dir, 'data'), XDG_RUNTIME_DIR: this.dir },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    this.keyring = keyring;
    keyring.stdin?.end('test-keyring-password');
    const deadline = Date.now() + 10_000;
    for (;;) {
      const reply = dbusSend(this.env, ['--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets']);
      if (reply.stdout.includes('boolean true')) return;
      if (Date.now() > deadline || keyring.exitCode !== null) throw new Error('gnome-keyring-daemon did not take org.freedesktop.secrets');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Locks the login collection, as a screen lock or `Lock` from a keyring manager would. */
  lockKeyring(): void {
    const reply = dbusSend(this.env, [
      '--dest=org.freedesktop.secrets',
      '/org/freedesktop/secrets',
      'org.freedesktop.Secret.Service.Lock',
      'array:objpath:/org/freedesktop/secrets/collection/login',
    ]);
    if (reply.status !== 0) throw new Error(`locking the keyring failed: ${reply.stderr}`);
  }

  /** Freezes the secret service (SIGSTOP): it owns its name but never answers. */
  freezeKeyring(): void {
    process.kill(this.keyringPid, 'SIGSTOP');
  }

  async stop(): Promise<void> {
    for (const child of [this.keyring, this.daemon]) {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

export async function fileBytes(path: string): Promise<Buffer> {
  return readFile(path);
}
