/**
 * The palyrad CLI against a daemon's remote admin endpoint, as an operator on another machine
 * would use it: the built binary with its own XDG_CONFIG_HOME, a real daemon on 127.0.0.1
 * (`--admin-listen 127.0.0.1:0`), real API tokens from `palyrad tokens create` on the local
 * socket, and a real paired agent. `auth login` pins the CA and saves a profile; `status`,
 * `nodes list`, `pairing code`, `nodes invoke`, `events`, `dispatches` and `auth status` then
 * work through `--profile`, PALYRA_PROFILE, or `--daemon` + PALYRA_TOKEN. A wrong CA
 * fingerprint is refused before the token leaves: an impostor TLS server sees no byte after
 * its handshake, and the real daemon never sees the token (no failed authentication in its
 * log, the token never marked used). The token lives in the encrypted vault file here (no
 * desktop session), and in the OS vault under scripts/with-secret-service.sh.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../daemon/src/ca/index.js';
import { expectErrorLine } from '../helpers/cliAssertions.js';
import { DaemonProcess, pairNode, type NodeRow, type PairingCodeJson } from '../helpers/daemonHarness.js';
import { startAgent, writeNodeConfig, type InvokeJson } from '../helpers/dispatchHarness.js';
import { E2E_HOOK_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, PALYRAD, TempDirs, pollUntil, runBin, spawnBin, stopProcesses, type CommandResult } from '../helpers/processes.js';
import { itWithSecretService } from '../helpers/secretService.js';
import { killTmuxServers, TmuxPane } from '../helpers/tmuxPane.js';

const dirs = new TempDirs();
let daemon: DaemonProcess | undefined;
let deviceId = '';
let adminTls = '';
let caFingerprint = '';

function running(): DaemonProcess {
  if (daemon === undefined) throw new Error('the daemon did not start');
  return daemon;
}

interface CreatedToken {
  token: string;
  id: string;
  lastUsedAt: string | null;
}

/** A fresh token minted through the local socket (as the daemon's owner). */
function mintToken(name: string, role: string): Promise<CreatedToken> {
  return running().json<CreatedToken>('tokens', 'create', '--name', name, '--role', role, '--ttl', '1h');
}

/** An operator's own config dir (0700), as on another machine. */
async function configHome(): Promise<string> {
  const dir = await dirs.make('palyra-e2e-remote-config-');
  return dir;
}

/** palyrad as the operator: no --state-dir, the config dir given, PALYRA_VAULT=file (TEST_ENV) unless `env` says otherwise. */
function operator(config: string, args: string[], { env = {}, stdin }: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<CommandResult> {
  return runBin(PALYRAD, args, { XDG_CONFIG_HOME: config, ...env }, stdin === undefined ? {} : { stdin });
}

async function operatorJson<T>(config: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<T> {
  const result = await operator(config, [...args, '--json'], { env });
  expect(result.code, `palyrad ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** `auth login` with the token on stdin; the fingerprint spelled as people copy it (upper case, colons). */
function login(config: string, profile: string, token: string, { fingerprint = caFingerprint, env = {} }: { fingerprint?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  const spelled = fingerprint.toUpperCase().match(/../g)!.join(':');
  return operator(config, ['auth', 'login', '--profile', profile, '--daemon', adminTls, '--ca-fingerprint', spelled, '--json'], { env, stdin: `${token}\n` });
}

beforeAll(async () => {
  const base = await dirs.make('palyra-e2e-remote-cli-');
  const root = join(base, 'root');
  await mkdir(root);
  await writeFile(join(root, 'hello.txt'), 'hello from the node');
  daemon = await DaemonProcess.start(join(base, 'daemon'), ['--admin-listen', '127.0.0.1:0']);
  adminTls = (daemon.ready as { adminTls?: string }).adminTls ?? '';
  expect(adminTls).toMatch(/^127\.0\.0\.1:\d+$/);
  caFingerprint = daemon.ready.ca;
  const nodeDir = join(base, 'node');
  deviceId = await pairNode(daemon, nodeDir, 'remote-node');
  const config = await writeNodeConfig(base, { plugins: [{ use: 'filesystem', grants: { roots: [root] } }] });
  await startAgent(nodeDir, config);
}, E2E_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await killTmuxServers();
  await stopProcesses();
  await dirs.cleanup();
}, E2E_HOOK_TIMEOUT_MS);

describe('palyrad through a remote admin endpoint', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('auth login saves a profile (0700 dir, 0600 files, no token in the clear); then status, nodes list, pairing code, nodes invoke, dispatches and auth status work through it', async () => {
    const config = await configHome();
    const { token, id } = await mintToken('ops', 'admin');
    const login1 = await login(config, 'ops', token);
    expect(login1.code, login1.stderr).toBe(0);
    expect(JSON.parse(login1.stdout)).toMatchObject({ profile: 'ops', daemon: adminTls, caFingerprint, tokenId: id, role: 'admin', tokenStore: 'file' });
    expect(login1.stdout + login1.stderr).not.toContain(token);

    // The profile and the vault: private, and the token only encrypted.
    const dir = join(config, 'palyra');
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    for (const file of await readdir(dir)) {
      expect((await stat(join(dir, file))).mode & 0o077, file).toBe(0);
      expect(await readFile(join(dir, file), 'utf8'), file).not.toContain(token.slice(-43));
    }
    const profiles = JSON.parse(await readFile(join(dir, 'profiles.json'), 'utf8')) as { version: number; profiles: Record<string, { caFingerprint: string; tokenId: string; caCertPem: string }> };
    expect(profiles.version).toBe(1);
    expect(profiles.profiles.ops).toMatchObject({ caFingerprint, tokenId: id });
    expect(profiles.profiles.ops?.caCertPem).toContain('BEGIN CERTIFICATE');
    expect(await operatorJson<Array<{ name: string; tokenStore: string }>>(config, ['auth', 'profiles'])).toEqual([expect.objectContaining({ name: 'ops', daemon: adminTls, tokenStore: 'file' })]);

    const status = await operatorJson<{ running: boolean; caFingerprint: string; pid: number }>(config, ['status', '--profile', 'ops']);
    expect(status).toMatchObject({ running: true, caFingerprint, pid: running().process.pid });

    const nodes = await operatorJson<NodeRow[]>(config, ['nodes', 'list', '--profile', 'ops']);
    expect(nodes.map((n) => [n.deviceId, n.status])).toContainEqual([deviceId, 'online']);
    // PALYRA_PROFILE instead of the flag.
    expect((await operatorJson<NodeRow[]>(config, ['nodes', 'list'], { PALYRA_PROFILE: 'ops' })).map((n) => n.deviceId)).toContain(deviceId);

    const code = await operatorJson<PairingCodeJson>(config, ['pairing', 'code', '--method', 'pin', '--profile', 'ops']);
    expect(code.code).toMatch(/^\d{6}$/);
    expect(code.caFingerprint).toBe(caFingerprint);

    const invoked = await operator(config, ['nodes', 'invoke', deviceId, 'fs.read', '--input', JSON.stringify({ path: 'hello.txt' }), '--profile', 'ops', '--json']);
    expect(invoked.code, invoked.stderr).toBe(0);
    const result = JSON.parse(invoked.stdout) as InvokeJson;
    expect(result.status).toBe('succeeded');
    expect(JSON.stringify(result.output)).toContain('hello from the node');

    const watched = await operator(config, ['dispatches', 'watch', result.dispatchId, '--profile', 'ops', '--json']);
    expect(watched.code, watched.stderr).toBe(0);
    expect(JSON.parse(watched.stdout)).toMatchObject({ dispatchId: result.dispatchId, status: 'succeeded' });

    const who = await operatorJson<{ kind: string; tokenId: string; tokenName: string; role: string; permissions: string[]; daemon: string; profile: string; expiresAt: string }>(config, ['auth', 'status', '--profile', 'ops']);
    expect(who).toMatchObject({ kind: 'token', tokenId: id, tokenName: 'ops', role: 'admin', profile: 'ops' });
    expect(who.permissions.length).toBeGreaterThan(0);
    expect(Date.parse(who.expiresAt)).toBeGreaterThan(Date.now());
    // Locally, the same command names the local owner.
    const local = await running().json<{ kind: string; role: string }>('auth', 'status');
    expect(local).toMatchObject({ kind: 'local', role: 'owner' });
  });

  it('auth login in a terminal asks for the token at a hidden prompt: what is typed is never shown', async () => {
    const config = await configHome();
    const { token, id } = await mintToken('typed', 'viewer');
    const pane = await TmuxPane.start(
      // The vault file's key from a passphrase (in a terminal it would be asked for next).
      ['env', `XDG_CONFIG_HOME=${config}`, 'PALYRA_VAULT=file', 'PALYRA_VAULT_PASSPHRASE=a passphrase for the test', process.execPath, PALYRAD, 'auth', 'login', '--profile', 'typed', '--daemon', adminTls, '--ca-fingerprint', caFingerprint],
      join(config, 'login.status'),
    );
    await pane.waitForScreen((s) => s.includes(`API token for ${adminTls}:`), 'the token prompt');
    await pane.sendKeys('-l', token);
    await pane.sendKeys('Enter');
    const screen = await pane.waitForScreen((s) => s.includes('profile typed saved'), 'the login to finish');
    expect(screen).not.toContain(token.slice(-43, -13));
    expect(screen).toContain(id);
    expect(await operatorJson<Array<{ name: string }>>(config, ['auth', 'profiles'])).toEqual([expect.objectContaining({ name: 'typed', tokenId: id })]);
    // The token is read back with the passphrase.
    const who = await operatorJson<{ tokenId: string }>(config, ['auth', 'status', '--profile', 'typed'], { PALYRA_VAULT_PASSPHRASE: 'a passphrase for the test' });
    expect(who.tokenId).toBe(id);
  });

  it('events follows the daemon remotely: a dispatch made meanwhile shows up, and SIGINT ends it with 0', async () => {
    const config = await configHome();
    const { token } = await mintToken('watcher', 'operator');
    expect((await login(config, 'watcher', token)).code).toBe(0);
    const events = spawnBin(PALYRAD, ['events', '--type', 'dispatch.state', '--json', '--profile', 'watcher'], { XDG_CONFIG_HOME: config });
    // The stream is live once the daemon admitted it; a dispatch then shows up on it. Retry the
    // dispatch until the event arrives (the first may run before the stream is admitted).
    await pollUntil(
      async () => {
        const invoked = await operator(config, ['nodes', 'invoke', deviceId, 'fs.read', '--input', JSON.stringify({ path: 'hello.txt' }), '--profile', 'watcher', '--json']);
        expect(invoked.code, invoked.stderr).toBe(0);
        const { dispatchId } = JSON.parse(invoked.stdout) as InvokeJson;
        return events.stdout.includes(dispatchId) ? dispatchId : undefined;
      },
      { what: 'a dispatch.state event on the remote events stream', intervalMs: 500 },
    );
    const line = events.stdout.split('\n').find((l) => l.includes('"dispatch.state"')) ?? '';
    expect(JSON.parse(line)).toMatchObject({ type: 'dispatch.state', deviceId, capability: 'fs.read' });
    events.signal('SIGINT');
    const ended = await events.waitForExit();
    expect(ended.code, ended.stderr).toBe(0);
  });

  it('--daemon with --ca-fingerprint and PALYRA_TOKEN; a refused permission passes through as FORBIDDEN naming it; conflicting choices are usage errors', async () => {
    const config = await configHome();
    const viewer = await mintToken('viewer', 'viewer');
    const env = { PALYRA_TOKEN: viewer.token };
    const nodes = await operatorJson<NodeRow[]>(config, ['nodes', 'list', '--daemon', adminTls, '--ca-fingerprint', caFingerprint], env);
    expect(nodes.map((n) => n.deviceId)).toContain(deviceId);
    // The fingerprint from the environment.
    expect((await operator(config, ['status', '--daemon', adminTls], { env: { ...env, PALYRA_CA_FINGERPRINT: caFingerprint } })).code).toBe(0);

    const refused = await operator(config, ['pairing', 'code', '--method', 'pin', '--daemon', adminTls, '--ca-fingerprint', caFingerprint], { env });
    expect(expectErrorLine(refused, 'PALYRA_E_FORBIDDEN', 77)).toContain('pairing');

    expectErrorLine(await operator(config, ['nodes', 'list', '--daemon', adminTls, '--ca-fingerprint', caFingerprint]), 'PALYRA_E_USAGE', 64);
    expectErrorLine(await operator(config, ['nodes', 'list', '--daemon', adminTls], { env }), 'PALYRA_E_USAGE', 64);
    expectErrorLine(await operator(config, ['nodes', 'list', '--profile', 'x', '--daemon', adminTls], { env }), 'PALYRA_E_USAGE', 64);
    expectErrorLine(await operator(config, ['nodes', 'list', '--profile', 'x', '--state-dir', running().stateDir]), 'PALYRA_E_USAGE', 64);
    expect(expectErrorLine(await operator(config, ['nodes', 'list', '--profile', 'nosuch']), 'PALYRA_E_PROFILE_NOT_FOUND', 78)).toContain('nosuch');
    // start, config show and state commands stay local.
    expectErrorLine(await operator(config, ['start', '--profile', 'x']), 'PALYRA_E_USAGE', 64);
  });

  it('auth login refuses a token the daemon refuses (revoked) and saves nothing; logout removes the profile and its vault item', async () => {
    const config = await configHome();
    const revoked = await mintToken('gone', 'viewer');
    const revoke = await running().cli('tokens', 'revoke', revoked.id);
    expect(revoke.code, revoke.stderr).toBe(0);
    const refused = await login(config, 'gone', revoked.token);
    expect(expectErrorLine(refused, 'PALYRA_E_UNAUTHENTICATED', 77)).toContain('nothing was saved');
    expect(await operatorJson<unknown[]>(config, ['auth', 'profiles'])).toEqual([]);

    const { token } = await mintToken('short', 'viewer');
    expect((await login(config, 'short', token)).code).toBe(0);
    const vaultFiles = (await readdir(join(config, 'palyra'))).filter((f) => f.startsWith('vault'));
    expect(vaultFiles.length).toBeGreaterThan(0);
    const logout = await operatorJson<{ removed: boolean; tokenRemoved: boolean }>(config, ['auth', 'logout', '--profile', 'short']);
    expect(logout).toMatchObject({ removed: true, tokenRemoved: true });
    expect(await operatorJson<unknown[]>(config, ['auth', 'profiles'])).toEqual([]);
    // The last token gone, the vault file (and its generated key file) went with it.
    expect((await readdir(join(config, 'palyra'))).filter((f) => f.startsWith('vault'))).toEqual([]);
    expectErrorLine(await operator(config, ['status', '--profile', 'short']), 'PALYRA_E_PROFILE_NOT_FOUND', 78);
    expectErrorLine(await operator(config, ['auth', 'logout', '--profile', 'short']), 'PALYRA_E_PROFILE_NOT_FOUND', 78);
  });

  it('a wrong CA fingerprint is refused before the token is sent: the daemon never sees it', async () => {
    const config = await configHome();
    const fresh = await mintToken('never-sent', 'viewer');
    const wrong = 'ab'.repeat(32);
    const stderrBefore = running().process.stderr.length;
    const refused = await operator(config, ['nodes', 'list', '--daemon', adminTls, '--ca-fingerprint', wrong], { env: { PALYRA_TOKEN: fresh.token } });
    const message = expectErrorLine(refused, 'PALYRA_E_SERVER_IDENTITY', 77);
    expect(message).toContain(wrong);
    expect(message).toContain(caFingerprint);
    expect(refused.stderr).not.toContain(fresh.token);
    const loginRefused = await login(config, 'bad', fresh.token, { fingerprint: wrong });
    expectErrorLine(loginRefused, 'PALYRA_E_SERVER_IDENTITY', 77);
    expect(await operatorJson<unknown[]>(config, ['auth', 'profiles'])).toEqual([]);

    // The daemon saw no token at all: none failed authentication, and this one was never used...
    expect(running().process.stderr.slice(stderrBefore)).not.toMatch(/authentication failed/);
    const unused = (await running().json<CreatedToken[]>('tokens', 'list')).find((t) => t.id === fresh.id);
    expect(unused?.lastUsedAt ?? null).toBeNull();
    // ...whereas the right fingerprint uses it (so the check above can see a use).
    expect((await operator(config, ['nodes', 'list', '--daemon', adminTls, '--ca-fingerprint', caFingerprint], { env: { PALYRA_TOKEN: fresh.token } })).code).toBe(0);
    await pollUntil(async () => (await running().json<CreatedToken[]>('tokens', 'list')).find((t) => t.id === fresh.id)?.lastUsedAt ?? undefined, {
      what: 'the token marked used',
    });
  });

  it('an impostor presenting another daemon chain gets no byte after its TLS handshake (login and --profile)', async () => {
    const config = await configHome();
    const { token } = await mintToken('pinned', 'viewer');
    expect((await login(config, 'pinned', token)).code).toBe(0);

    // Another daemon's CA and server certificate (its keys in plain files here), served by a
    // raw TLS server that counts what it receives after the handshake.
    const otherDir = join(await dirs.make('palyra-e2e-remote-impostor-'), 'ca');
    const otherCa = await CertificateAuthority.loadOrCreate({ stateDir: otherDir });
    await otherCa.ensureServerCertificate({ hosts: ['127.0.0.1'] });
    const read = (file: string): Promise<string> => readFile(join(otherDir, file), 'utf8');
    let bytes = 0;
    let connections = 0;
    const server = createTlsServer({ cert: `${(await read('server.crt')).trim()}\n${(await read('ca.crt')).trim()}\n`, key: await read('server.key'), ALPNProtocols: ['h2'] }, (socket) => {
      socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
      socket.on('error', () => undefined);
    });
    server.on('connection', () => (connections += 1));
    server.on('tlsClientError', () => undefined);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const impostor = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      const viaLogin = await operator(config, ['auth', 'login', '--profile', 'evil', '--daemon', impostor, '--ca-fingerprint', caFingerprint], { stdin: `${token}\n` });
      expect(expectErrorLine(viaLogin, 'PALYRA_E_SERVER_IDENTITY', 77)).toContain(caFingerprint);
      // The saved profile pointed at the impostor (as a DNS or routing change would).
      const file = join(config, 'palyra', 'profiles.json');
      const document = JSON.parse(await readFile(file, 'utf8')) as { profiles: Record<string, { daemon: string }> };
      document.profiles.pinned!.daemon = impostor;
      await writeFile(file, JSON.stringify(document), { mode: 0o600 });
      expectErrorLine(await operator(config, ['nodes', 'list', '--profile', 'pinned']), 'PALYRA_E_SERVER_IDENTITY', 77);
      expect(connections).toBeGreaterThanOrEqual(2);
      expect(bytes).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  itWithSecretService('the token in the OS vault (Secret Service): service palyra-operator, account the profile; logout deletes it', async () => {
    const config = await configHome();
    const { token } = await mintToken('desk', 'viewer');
    const env = { PALYRA_VAULT: 'auto' };
    const saved = await login(config, 'desk', token, { env });
    expect(saved.code, saved.stderr).toBe(0);
    expect(JSON.parse(saved.stdout)).toMatchObject({ tokenStore: 'os' });
    const lookup = (): string => spawnSync('secret-tool', ['lookup', 'service', 'palyra-operator', 'username', 'desk'], { encoding: 'utf8' }).stdout;
    expect(lookup()).toBe(token);
    // Nothing of the token on disk.
    for (const f of await readdir(join(config, 'palyra'))) expect(await readFile(join(config, 'palyra', f), 'utf8')).not.toContain(token.slice(-43));
    expect((await operatorJson<NodeRow[]>(config, ['nodes', 'list', '--profile', 'desk'], env)).map((n) => n.deviceId)).toContain(deviceId);
    expect((await operator(config, ['auth', 'logout', '--profile', 'desk'], { env })).code).toBe(0);
    expect(lookup()).toBe('');
  });
});
