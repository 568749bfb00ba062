/**
 * `palyra-node service ...` and `palyrad service ...` with the real binaries: the unit
 * `--dry-run` prints passes the real `systemd-analyze verify` without a warning (as root and
 * as a non-root user, system and user scope) and carries the sandbox of examples/systemd;
 * install/status/uninstall write and remove the real unit in a temp unit dir and drive a
 * systemctl stand-in (systemd is not PID 1 in CI: PALYRA_TEST_SYSTEMCTL); a host without
 * systemd gets PALYRA_E_SYSTEMD_UNAVAILABLE naming what to run instead.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, link, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { fakeSystemctl } from '../helpers/fakeSystemctl.js';
import { DaemonProcess } from '../helpers/daemonHarness.js';
import { type CommandResult, E2E_TEST_TIMEOUT_MS, PALYRA_NODE, PALYRAD, runBin as runBinRaw, spawnBin, TempDirs } from '../helpers/processes.js';
import { isRoot, NOBODY, systemdExpandPath, systemdExposure, systemdVerify } from '../helpers/systemdAnalyze.js';

const dirs = new TempDirs();

const CHECKOUT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Leaves out the warning `service install --system` rightly gives when the program itself is
 * under /tmp: that is where this checkout is when the suite runs from a clone in /tmp (as CI
 * may), not what a test sets up. Warnings about the tests' own files stay.
 */
function withoutCheckoutWarnings<T extends { stderr: string }>(result: T): T {
  const lines = result.stderr.split('\n').filter((line) => !(/^[a-z-]+: warning: (\S+) is under \/tmp or \/var\/tmp, /.exec(line)?.[1]?.startsWith(CHECKOUT) ?? false));
  return { ...result, stderr: lines.join('\n') };
}

async function runBin(...args: Parameters<typeof runBinRaw>): Promise<CommandResult> {
  return withoutCheckoutWarnings(await runBinRaw(...args));
}

/**
 * A --user command as an unprivileged operator: root may not install a user unit (it would run
 * as root), so a root test run runs it as nobody, in `dir` (made theirs).
 */
async function userRunner(dir: string): Promise<(bin: string, args: string[], env: Record<string, string>) => Promise<CommandResult>> {
  if (!isRoot()) return (bin, args, env) => runBin(bin, args, env);
  await chown(dir, NOBODY, NOBODY);
  return (bin, args, env) => runNode('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, bin, ...args], { HOME: dir, PALYRA_VAULT: 'file', ...env });
}

/** A CLI run with a Node binary of our choice (runBin always uses this test's own). */
function runNode(node: string, argv: string[], env: Record<string, string>): Promise<{ code: number | null; signal: null; stdout: string; stderr: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PALYRA_')));
  return new Promise((resolve) => {
    execFile(node, argv, { cwd: tmpdir(), env: { ...base, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve(withoutCheckoutWarnings({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, signal: null, stdout, stderr }));
    });
  });
}
afterAll(() => dirs.cleanup());

const examples = fileURLToPath(new URL('../../examples/systemd/', import.meta.url));
const PROGRAMS = [
  { name: 'palyra-node', bin: PALYRA_NODE, example: 'palyra-node.service', unit: 'palyra-node.service', state: 'palyra-node', user: 'palyra-node', args: 'run', foreground: 'palyra-node run' },
  { name: 'palyrad', bin: PALYRAD, example: 'palyrad.service', unit: 'palyrad.service', state: 'palyra', user: 'palyra', args: 'start', foreground: 'palyrad start' },
] as const;
const SCOPES = ['system', 'user'] as const;

/** The directives of one section, comments and blank lines left out, in order. */
function directives(unit: string, section: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of unit.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) current = line;
    else if (current === `[${section}]`) out.push(line);
  }
  return out;
}

interface DryRunJson {
  dryRun: true;
  scope: string;
  unitName: string;
  unitPath: string;
  user: string | null;
  stateDir: string;
  unit: string;
}

describe('service install --dry-run (real systemd-analyze)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('systemd-analyze is installed (scripts/install-system-deps.sh installs the systemd package)', () => {
    expect(existsSync('/usr/bin/systemd-analyze') || existsSync('/bin/systemd-analyze'), 'run scripts/install-system-deps.sh').toBe(true);
  });

  for (const program of PROGRAMS) {
    for (const scope of SCOPES) {
      it(`${program.name} --${scope}: the unit verifies without a warning, as root and as a non-root user`, async () => {
        const dir = await dirs.make('palyra-service-verify-');
        await chmod(dir, 0o755);
        const text = await runBin(program.bin, ['service', 'install', `--${scope}`, '--dry-run']);
        expect(text.code, text.stderr).toBe(0);
        expect(text.stderr).toBe('');
        const file = join(dir, program.unit);
        await writeFile(file, text.stdout, { mode: 0o644 });
        await chmod(file, 0o644);

        const verifiers = isRoot() ? [false, true] : [false];
        for (const asNobody of verifiers) {
          const result = await systemdVerify(file, { scope, asNobody, runtimeDir: join(dir, 'run') });
          expect({ code: result.code, stderr: result.stderr, as: asNobody ? 'nobody' : 'self' }).toEqual({ code: 0, stderr: '', as: asNobody ? 'nobody' : 'self' });
        }

        const service = directives(text.stdout, 'Service');
        expect(service).toContain('UMask=0077');
        if (scope === 'system') {
          expect(service).toContain(`StateDirectory=${program.state}`);
          expect(service).toContain('StateDirectoryMode=0700');
          expect(service).toContain(`Environment=PALYRA_STATE_DIR=%S/${program.state}`);
        } else {
          // A literal path (see the state dir test below); the program creates it 0700.
          expect(service.filter((d) => d.startsWith('Environment=PALYRA_STATE_DIR='))).toHaveLength(1);
          expect(service.some((d) => d.includes('%S'))).toBe(false);
        }
        // This very installation: this Node and the program's script.
        expect(service).toContain(`ExecStart=${process.execPath} ${program.bin} ${program.args}`);
        expect(directives(text.stdout, 'Install')).toEqual([`WantedBy=${scope === 'system' ? 'multi-user.target' : 'default.target'}`]);

        const json = parseOneJson<DryRunJson>(await runBin(program.bin, ['service', 'install', `--${scope}`, '--dry-run', '--json']));
        expect(json).toMatchObject({ dryRun: true, scope, unitName: program.unit, unit: text.stdout, user: scope === 'system' ? program.user : null });
        expect(json.unitPath.endsWith(scope === 'system' ? `/etc/systemd/system/${program.unit}` : `/.config/systemd/user/${program.unit}`)).toBe(true);
      });
    }

    it(`${program.name} --system carries every sandbox directive of examples/systemd/${program.example} and scores no worse in systemd-analyze security`, async () => {
      const generated = await runBin(program.bin, ['service', 'install', '--system', '--dry-run']);
      expect(generated.code, generated.stderr).toBe(0);
      // %S is /var/lib in a system unit.
      const ours = new Set(directives(generated.stdout, 'Service').map((d) => d.replaceAll('%S', '/var/lib')));
      const example = directives(await readFile(join(examples, program.example), 'utf8'), 'Service');
      // What differs on purpose: the account's own primary group, the environment (state via
      // %S, the vault, an optional --config), and the command (this installation).
      const differs = (d: string): boolean => /^(Group|Environment|ExecStart)=/.test(d);
      const missing = example.filter((d) => !differs(d) && !ours.has(d));
      expect(missing).toEqual([]);
      expect(ours).toContain('Environment=PALYRA_VAULT=file');
      // systemd's own score of the sandbox: no more exposed than the example.
      const dir = await dirs.make('palyra-service-security-');
      const file = join(dir, program.unit);
      await writeFile(file, generated.stdout);
      expect(await systemdExposure(file)).toBeLessThanOrEqual(await systemdExposure(join(examples, program.example)));
    });

    it(`${program.name} --user keeps only the sandbox a user manager applies without user namespaces`, async () => {
      const generated = await runBin(program.bin, ['service', 'install', '--user', '--dry-run']);
      const service = directives(generated.stdout, 'Service');
      for (const d of ['NoNewPrivileges=yes', 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX', 'RestrictNamespaces=yes', 'LockPersonality=yes', 'SystemCallArchitectures=native']) {
        expect(service).toContain(d);
      }
      expect(service.filter((d) => /^(User|ProtectSystem|ProtectHome|PrivateTmp|PrivateDevices|CapabilityBoundingSet|ReadWritePaths)=/.test(d))).toEqual([]);
      expect(service.some((d) => d.startsWith('Environment=PALYRA_VAULT='))).toBe(false);
    });
  }

  it('a --user unit hands the program the state dir install reports and the join follow-up uses, on this systemd', async () => {
    // systemd before 254 (Debian 12: 252) expands %S to $XDG_CONFIG_HOME in a user manager,
    // not $XDG_STATE_HOME: a unit saying %S/palyra-node would keep the service's identity in
    // ~/.config/palyra-node while `palyra-node join` (and the printed follow-up) use
    // ~/.local/state/palyra-node, and the service would never find the node it joined.
    const dir = await dirs.make('palyra-service-statedir-');
    const env = { HOME: join(dir, 'home'), XDG_CONFIG_HOME: join(dir, 'config'), XDG_STATE_HOME: join(dir, 'state') };
    for (const program of PROGRAMS) {
      const json = parseOneJson<DryRunJson>(await runBin(program.bin, ['service', 'install', '--user', '--dry-run', '--json'], env));
      expect(json.stateDir).toBe(join(dir, 'state', program.state));
      const value = directives(json.unit, 'Service').find((d) => d.startsWith('Environment=PALYRA_STATE_DIR='))?.slice('Environment=PALYRA_STATE_DIR='.length);
      expect(value).toBeDefined();
      expect(await systemdExpandPath(value ?? '', { scope: 'user', dir, env })).toBe(json.stateDir);
      // No StateDirectory= either: it would create a stray directory where %S points.
      expect(directives(json.unit, 'Service').filter((d) => d.startsWith('StateDirectory'))).toEqual([]);
    }
  });

  it('--config, --vault and --service-user reach the unit, quoted for systemd', async () => {
    const dir = await dirs.make('palyra-service-quote-');
    await chmod(dir, 0o755);
    const config = join(dir, 'odd 100% $HOME "x".json');
    const result = await runBin(PALYRAD, ['service', 'install', '--system', '--dry-run', '--config', config, '--vault', 'os', '--service-user', 'daemon']);
    expect(result.code, result.stderr).toBe(0);
    const service = directives(result.stdout, 'Service');
    expect(service).toContain('User=daemon');
    expect(service).toContain('Environment=PALYRA_VAULT=os');
    expect(service).toContain(`Environment="PALYRA_CONFIG=${config.replaceAll('%', '%%').replaceAll('"', '\\"')}"`);
    const file = join(dir, 'palyrad.service');
    await writeFile(file, result.stdout);
    await chmod(file, 0o644);
    expect(await systemdVerify(file, { scope: 'system', runtimeDir: join(dir, 'run') })).toMatchObject({ code: 0, stderr: '' });
  });

  it('refuses contradictory or malformed flags with PALYRA_E_USAGE', async () => {
    const cases = [
      ['service', 'install', '--user', '--system', '--dry-run'],
      ['service', 'install', '--user', '--service-user', 'nobody', '--dry-run'],
      ['service', 'install', '--system', '--service-user', 'Root;rm', '--dry-run'],
      ['service', 'install', '--system', '--service-user', 'root', '--dry-run'],
      ['service', 'install', '--system', '--service-user', 'nobody', '--dry-run'],
      ['service', 'install', '--system', '--vault', 'cloud', '--dry-run'],
      ['service', 'install', '--system', '--config', 'a\nExecStartPre=/bin/evil', '--dry-run'],
    ];
    for (const args of cases) expectErrorLine(await runBin(PALYRA_NODE, args), 'PALYRA_E_USAGE', 64);
  });
});

interface InstallJson {
  dryRun: false;
  scope: string;
  unitName: string;
  unitPath: string;
  user: string | null;
  userCreated: boolean;
  replaced: boolean;
  enabled: boolean;
  started: boolean;
  stateDir: string;
  followUp: Array<{ text: string; command: string }>;
}

describe('service install/status/uninstall (a temp unit dir, a systemctl stand-in)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('palyra-node --user: writes the real unit, enables and restarts it, reports it, removes it', async () => {
    const dir = await dirs.make('palyra-service-user-');
    const run = await userRunner(dir);
    const unitDir = join(dir, 'units');
    const systemctl = await fakeSystemctl(dir);
    const env = { PALYRA_TEST_SYSTEMD_UNIT_DIR: unitDir, PALYRA_TEST_SYSTEMCTL: systemctl.bin, XDG_STATE_HOME: join(dir, 'state') };
    const unitPath = join(unitDir, 'palyra-node.service');

    const installed = parseOneJson<InstallJson>(await run(PALYRA_NODE, ['service', 'install', '--user', '--json'], env));
    expect(installed).toMatchObject({ dryRun: false, scope: 'user', unitPath, user: null, userCreated: false, replaced: false, enabled: true, started: true, stateDir: join(dir, 'state', 'palyra-node') });
    // The unit on disk is exactly the one --dry-run prints, readable by systemd (0644).
    const dry = await run(PALYRA_NODE, ['service', 'install', '--user', '--dry-run'], env);
    expect(await readFile(unitPath, 'utf8')).toBe(dry.stdout);
    expect((await stat(unitPath)).mode & 0o777).toBe(0o644);
    expect(await systemctl.calls()).toEqual(['--user show-environment', '--user daemon-reload', '--user enable palyra-node.service', '--user restart palyra-node.service']);
    expect(installed.followUp[0]?.command).toBe(`env PALYRA_STATE_DIR=${join(dir, 'state', 'palyra-node')} palyra-node join --pin - --daemon HOST:PORT`);

    const status = parseOneJson<Record<string, unknown>>(await run(PALYRA_NODE, ['service', 'status', '--user', '--json'], env));
    expect(status).toEqual({
      scope: 'user',
      unitName: 'palyra-node.service',
      unitPath,
      writtenByPalyra: true,
      loadState: 'loaded',
      activeState: 'active',
      subState: 'running',
      unitFileState: 'enabled',
      mainPid: 4242,
      activeSince: 'Mon 2026-12-07 05:00:00 UTC',
      stateDir: join(dir, 'state', 'palyra-node'),
    });
    const statusText = await run(PALYRA_NODE, ['service', 'status', '--user'], env);
    expect(statusText.stdout).toContain('active    active (running) pid 4242');

    // Installing again replaces our own unit and restarts the service.
    const againResult = await run(PALYRA_NODE, ['service', 'install', '--user', '--json', '--config', join(dir, 'node.json')], env);
    expect(againResult.stderr).toBe(`palyra-node: warning: --config ${join(dir, 'node.json')} does not exist (yet): the service fails to start until it does\n`);
    const again = parseOneJson<InstallJson>(againResult);
    expect(again.replaced).toBe(true);
    expect(await readFile(unitPath, 'utf8')).toContain(`Environment=PALYRA_NODE_CONFIG=${join(dir, 'node.json')}`);

    const before = (await systemctl.calls()).length;
    const removed = await run(PALYRA_NODE, ['service', 'uninstall', '--user'], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain(`stopped, disabled and removed ${unitPath}`);
    expect(existsSync(unitPath)).toBe(false);
    expect((await systemctl.calls()).slice(before)).toEqual(['--user show-environment', '--user disable --now palyra-node.service', '--user daemon-reload']);

    // Nothing left: uninstall says so (exit 0), status is a coded error.
    const twice = parseOneJson<{ removed: boolean }>(await run(PALYRA_NODE, ['service', 'uninstall', '--user', '--json'], env));
    expect(twice.removed).toBe(false);
    expect(expectErrorLine(await run(PALYRA_NODE, ['service', 'status', '--user'], env), 'PALYRA_E_SERVICE_NOT_INSTALLED', 68)).toContain('palyra-node service install --user');
  });

  it('palyrad --system: root only; runs as the account given, systemd-analyze accepts the unit written', async () => {
    const dir = await dirs.make('palyra-service-system-');
    await chmod(dir, 0o755);
    const unitDir = join(dir, 'units');
    const systemctl = await fakeSystemctl(dir);
    const env = { PALYRA_TEST_SYSTEMD_UNIT_DIR: unitDir, PALYRA_TEST_SYSTEMCTL: systemctl.bin };
    // An account that exists on every Debian host (useradd is not run: it exists).
    const result = await runBin(PALYRAD, ['service', 'install', '--system', '--service-user', 'daemon'], env);
    if (!isRoot()) {
      expect(expectErrorLine(result, 'PALYRA_E_SERVICE_FAILED', 71)).toContain('run it as root');
      expect(await systemctl.calls()).toEqual([]);
      return;
    }
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`installed ${join(unitDir, 'palyrad.service')} (system, runs as daemon)`);
    expect(result.stdout).toContain('sudo -u daemon env PALYRA_STATE_DIR=/var/lib/palyra PALYRA_VAULT=file palyrad pairing code');
    expect(await systemctl.calls()).toEqual(['show-environment', 'daemon-reload', 'enable palyrad.service', 'restart palyrad.service']);
    const unit = await readFile(join(unitDir, 'palyrad.service'), 'utf8');
    expect(directives(unit, 'Service')).toContain('User=daemon');
    await chmod(unitDir, 0o755);
    expect(await systemdVerify(join(unitDir, 'palyrad.service'), { scope: 'system', asNobody: true, runtimeDir: join(dir, 'run') })).toMatchObject({ code: 0, stderr: '' });
    const removed = await runBin(PALYRAD, ['service', 'uninstall', '--system'], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(join(unitDir, 'palyrad.service'))).toBe(false);
  });

  it('--system warns when the unit names a file under /tmp, which PrivateTmp= hides from the service', async () => {
    if (!isRoot()) return; // --system installs need root (covered above)
    // Explicitly /tmp (not tmpdir(), which TMPDIR may move): the service's own /tmp is empty.
    const dir = await mkdtemp('/tmp/palyra-service-tmp-');
    try {
      await chmod(dir, 0o755);
      const systemctl = await fakeSystemctl(dir);
      const unitDir = join(dir, 'units');
      const env = { PALYRA_TEST_SYSTEMD_UNIT_DIR: unitDir, PALYRA_TEST_SYSTEMCTL: systemctl.bin };
      const config = join(dir, 'palyra.config.json');
      await writeFile(config, '{}\n');
      const result = await runBin(PALYRAD, ['service', 'install', '--system', '--service-user', 'daemon', '--config', config], env);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe(`palyrad: warning: ${config} is under /tmp or /var/tmp, which the system unit's sandbox replaces with an empty directory of its own (PrivateTmp=): install with npm install -g as root (Node and the package under /usr) and keep the config file outside /tmp\n`);
      expect(existsSync(join(unitDir, 'palyrad.service'))).toBe(true);
      // --dry-run, where an operator checks the unit first, warns the same way (stdout stays the unit).
      const dry = await runBin(PALYRAD, ['service', 'install', '--system', '--service-user', 'daemon', '--config', config, '--dry-run'], env);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stderr).toBe(result.stderr);
      expect(dry.stdout).toBe(await readFile(join(unitDir, 'palyrad.service'), 'utf8'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('palyra-node --system: the printed join makes a vault the service opens without a terminal', async () => {
    if (!isRoot()) return; // --system installs need root (covered above)
    const dir = await dirs.make('palyra-service-join-');
    await chmod(dir, 0o755);
    const systemctl = await fakeSystemctl(dir);
    const env = { PALYRA_TEST_SYSTEMD_UNIT_DIR: join(dir, 'units'), PALYRA_TEST_SYSTEMCTL: systemctl.bin };
    const installed = parseOneJson<InstallJson>(await runBin(PALYRA_NODE, ['service', 'install', '--system', '--service-user', 'daemon', '--json'], env));
    const command = installed.followUp[0]?.command ?? '';
    expect(command).toBe('sudo -u daemon env PALYRA_STATE_DIR=/var/lib/palyra-node PALYRA_VAULT=file PALYRA_VAULT_KEY_FILE=/var/lib/palyra-node/vault.key palyra-node join --pin - --daemon HOST:PORT');
    // Run it as printed, the state dir moved into the test's temp dir, with a passphrase at
    // hand, as the terminal's prompt would give one: the key file it names must win.
    const stateDir = join(dir, 'node-state');
    const assignments = Object.fromEntries(
      [...command.matchAll(/(PALYRA_[A-Z_]+)=(\S+)/g)].map(([, name, value]) => [name, (value ?? '').replace('/var/lib/palyra-node', stateDir)]),
    );
    const daemon = await DaemonProcess.start(join(dir, 'daemon'));
    try {
      const joinEnv = { ...assignments, PALYRA_VAULT_PASSPHRASE: 'typed at the terminal' };
      const pin = await daemon.mintPin();
      const joining = spawnBin(PALYRA_NODE, ['join', '--pin', '-', '--daemon', daemon.ready.grpc, '--name', 'svc'], joinEnv, { stdin: `${pin}\n` });
      const [, requestId] = await joining.waitFor(/\(request (\S+?)[,)]/);
      expect((await daemon.cli('nodes', 'approve', requestId ?? '')).code).toBe(0);
      const joined = await joining.waitForExit();
      expect(joined.code, joined.stderr).toBe(0);
      expect(joined.stdout).toContain('key file');
      // The service's own environment (the unit's: no passphrase, no terminal) opens it and registers.
      const run = spawnBin(PALYRA_NODE, ['run'], { PALYRA_STATE_DIR: stateDir, PALYRA_VAULT: 'file' });
      try {
        await run.waitFor(/^palyra-node ready device=\S+$/m);
      } finally {
        await run.stop();
      }
    } finally {
      await daemon.stop();
    }
  });

  it('--system refuses a Node, script or config file that a user other than root could replace', async () => {
    if (!isRoot()) return; // --system installs need root (covered above)
    const dir = await dirs.make('palyra-service-untrusted-');
    await chmod(dir, 0o755);
    const systemctl = await fakeSystemctl(dir);
    const unitDir = join(dir, 'units');
    const env = { PALYRA_TEST_SYSTEMD_UNIT_DIR: unitDir, PALYRA_TEST_SYSTEMCTL: systemctl.bin };
    // A wrapper like npm's bin script, in a directory a non-root user owns (a user's checkout
    // or npm prefix): that user could rewrite what the service account runs at every start.
    const userDir = join(dir, 'user-owned');
    await mkdir(userDir, { mode: 0o755 });
    await chown(userDir, NOBODY, NOBODY);
    const wrapper = join(userDir, 'palyrad.js');
    await writeFile(wrapper, `await import(${JSON.stringify(PALYRAD)});\n`, { mode: 0o755 });
    // The same wrapper in a root-owned directory anyone may write to (no sticky bit).
    const openDir = join(dir, 'world-writable');
    await mkdir(openDir);
    await chmod(openDir, 0o777);
    const openWrapper = join(openDir, 'palyrad.js');
    await writeFile(openWrapper, `await import(${JSON.stringify(PALYRAD)});\n`, { mode: 0o755 });
    // Node itself in a user-owned directory (a hard link: the same binary, another path).
    const nodeLink = join(userDir, 'node');
    await link(process.execPath, nodeLink);
    const config = join(userDir, 'palyra.config.json');
    await writeFile(config, '{}\n');

    const cases: Array<{ node: string; script: string; args: string[]; names: string }> = [
      { node: process.execPath, script: wrapper, args: [], names: userDir },
      { node: process.execPath, script: openWrapper, args: [], names: openDir },
      { node: nodeLink, script: PALYRAD, args: [], names: userDir },
      { node: process.execPath, script: PALYRAD, args: ['--config', config], names: userDir },
    ];
    for (const c of cases) {
      const result = await runNode(c.node, [c.script, 'service', 'install', '--system', '--service-user', 'daemon', ...c.args], env);
      // Under /tmp (the usual tmpdir()) the PrivateTmp= warning comes first, rightly: set it aside.
      const warnings = result.stderr.split('\n').filter((line) => line.startsWith('palyrad: warning: '));
      expect(warnings.every((line) => line.includes('is under /tmp or /var/tmp'))).toBe(true);
      const message = expectErrorLine({ ...result, stderr: result.stderr.split('\n').filter((line) => !line.startsWith('palyrad: warning: ')).join('\n') }, 'PALYRA_E_SERVICE_FAILED', 71);
      expect(message).toContain('can be replaced by a user other than root');
      expect(message).toContain(c.names);
      expect(existsSync(join(unitDir, 'palyrad.service'))).toBe(false);
    }
    expect(await systemctl.calls()).toEqual([]);
  });

  it('root may not install a --user unit: it would run as root without the system sandbox', async () => {
    if (!isRoot()) return;
    const dir = await dirs.make('palyra-service-root-user-');
    const systemctl = await fakeSystemctl(dir);
    const unitDir = join(dir, 'units');
    const env = { PALYRA_TEST_SYSTEMD_UNIT_DIR: unitDir, PALYRA_TEST_SYSTEMCTL: systemctl.bin, XDG_STATE_HOME: join(dir, 'state') };
    for (const program of PROGRAMS) {
      const message = expectErrorLine(await runBin(program.bin, ['service', 'install', '--user'], env), 'PALYRA_E_USAGE', 64);
      expect(message).toContain(`would run ${program.name} as root`);
      expect(message).toContain(`sudo ${program.name} service install --system`);
    }
    expect(existsSync(unitDir)).toBe(false);
    expect(await systemctl.calls()).toEqual([]);
  });

  it('--system refuses a --service-user whose uid is 0 (root by another name)', async () => {
    if (!isRoot()) return;
    const dir = await dirs.make('palyra-service-uid0-');
    const systemctl = await fakeSystemctl(dir);
    const unitDir = join(dir, 'units');
    // The host's account database as `id` reports it, with a uid-0 alias (BSD's toor) that
    // this CI host does not have: every other name goes to the real id.
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'id'), `#!/bin/sh\nif [ "$*" = "-u toor" ]; then echo 0; exit 0; fi\nexec /usr/bin/id "$@"\n`, { mode: 0o755 });
    const env = { PALYRA_TEST_SYSTEMD_UNIT_DIR: unitDir, PALYRA_TEST_SYSTEMCTL: systemctl.bin, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` };
    const message = expectErrorLine(await runBin(PALYRAD, ['service', 'install', '--system', '--service-user', 'toor'], env), 'PALYRA_E_USAGE', 64);
    expect(message).toContain('toor has uid 0');
    expect(existsSync(unitDir)).toBe(false);
    expect((await systemctl.calls()).filter((c) => c !== 'show-environment')).toEqual([]);
  });

  it('leaves a unit it did not write alone', async () => {
    const dir = await dirs.make('palyra-service-foreign-');
    const run = await userRunner(dir);
    const unitDir = join(dir, 'units');
    const systemctl = await fakeSystemctl(dir);
    const env = { PALYRA_TEST_SYSTEMD_UNIT_DIR: unitDir, PALYRA_TEST_SYSTEMCTL: systemctl.bin };
    const handWritten = await readFile(join(examples, 'palyra-node.service'), 'utf8');
    await mkdir(unitDir, { recursive: true });
    await writeFile(join(unitDir, 'palyra-node.service'), handWritten);
    expect(expectErrorLine(await run(PALYRA_NODE, ['service', 'install', '--user'], env), 'PALYRA_E_SERVICE_FAILED', 71)).toContain('was not written by palyra-node service install');
    expect(expectErrorLine(await run(PALYRA_NODE, ['service', 'uninstall', '--user'], env), 'PALYRA_E_SERVICE_FAILED', 71)).toContain('remove it yourself');
    expect(await readFile(join(unitDir, 'palyra-node.service'), 'utf8')).toBe(handWritten);
    expect((await systemctl.calls()).filter((c) => !c.endsWith('show-environment'))).toEqual([]);
  });

  it('a systemctl step that fails is PALYRA_E_SERVICE_FAILED with its output', async () => {
    const dir = await dirs.make('palyra-service-fail-');
    const run = await userRunner(dir);
    const systemctl = await fakeSystemctl(dir, { failOn: 'enable' });
    const env = { PALYRA_TEST_SYSTEMD_UNIT_DIR: join(dir, 'units'), PALYRA_TEST_SYSTEMCTL: systemctl.bin };
    const message = expectErrorLine(await run(PALYRA_NODE, ['service', 'install', '--user'], env), 'PALYRA_E_SERVICE_FAILED', 71);
    expect(message).toContain('systemctl --user enable palyra-node.service failed (exit 1): Failed to enable unit: Access denied');
  });

  it('no systemd: PALYRA_E_SYSTEMD_UNAVAILABLE names the foreground command and --dry-run, and writes nothing', async () => {
    const dir = await dirs.make('palyra-service-nosystemd-');
    const run = await userRunner(dir);
    const unitDir = join(dir, 'units');
    const hosts: Array<Record<string, string>> = [{ PALYRA_TEST_SYSTEMD_UNIT_DIR: unitDir, PALYRA_TEST_SYSTEMCTL: join(dir, 'no-such-systemctl') }];
    // The real systemctl, where systemd is not PID 1 (a container): it refuses by itself.
    if (!existsSync('/run/systemd/system')) hosts.push({ PALYRA_TEST_SYSTEMD_UNIT_DIR: unitDir });
    for (const env of hosts) {
      for (const program of PROGRAMS) {
        for (const args of [['service', 'install', '--user'], ['service', 'status', '--user'], ['service', 'uninstall', '--user']]) {
          // status and uninstall need a unit to get that far.
          if (args[1] !== 'install') {
            await mkdir(unitDir, { recursive: true });
            await writeFile(join(unitDir, program.unit), '# Written by Palyra: test\n');
          }
          const message = expectErrorLine(await run(program.bin, args, env), 'PALYRA_E_SYSTEMD_UNAVAILABLE', 69);
          expect(message).toContain(`run \`${program.foreground}\``);
          expect(message).toContain(`${program.name} service install --dry-run`);
          if (env.PALYRA_TEST_SYSTEMCTL === undefined) expect(message).toMatch(/systemctl: /);
          else expect(message).toContain('systemctl is not installed');
        }
        if (isRoot()) {
          const system = expectErrorLine(await runBin(program.bin, ['service', 'install', '--system'], { ...env, PALYRA_TEST_SYSTEMD_UNIT_DIR: join(dir, 'sys') }), 'PALYRA_E_SYSTEMD_UNAVAILABLE', 69);
          expect(system).toContain('this host is not running systemd');
          expect(existsSync(join(dir, 'sys'))).toBe(false);
        }
      }
    }
    expect(existsSync(join(unitDir, 'palyrad.service'))).toBe(true);
  });
});

