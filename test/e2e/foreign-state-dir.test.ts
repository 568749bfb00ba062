/**
 * Issue 12, item 6: a state directory another local user prepared. The attacker (uid 65534
 * here) creates a 0700 directory holding a vault.key they know, or a symbolic link to one;
 * root runs `palyra-node join --state-dir` there. Before the fix the agent paired and stored
 * its identity encrypted under the attacker's key. Now the agent, like the daemon, refuses
 * with the very same PALYRA_E_STATE_PERMISSIONS line (one shared check), before it pairs or
 * writes anything. Needs root (chown to another uid); CI runs as root.
 */
import { randomBytes } from 'node:crypto';
import { chown, lchown, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectErrorLine } from '../helpers/cliAssertions.js';
import { snapshotTree } from '../helpers/fsSnapshot.js';
import { spawnJoin, daemonCli, nodeCli, type PendingRow } from '../helpers/daemonHarness.js';
import { E2E_TEST_TIMEOUT_MS, type CommandResult, type RunningProcess } from '../helpers/processes.js';
import { useSharedDaemon } from '../helpers/sharedDaemon.js';

const ATTACKER = 65534;
const isRoot = process.getuid?.() === 0;
const SKIP_MESSAGE = 'foreign state dir tests skipped: they chown files to another uid (65534), which needs root (CI runs as root)';

if (!isRoot) console.warn(SKIP_MESSAGE);

/** A 0700 directory of the attacker's holding a vault key the attacker knows. */
async function attackerDir(parent: string, name = 'evil'): Promise<string> {
  const dir = join(parent, name);
  await mkdir(dir, { mode: 0o700 });
  await writeFile(join(dir, 'vault.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  await chown(join(dir, 'vault.key'), ATTACKER, ATTACKER);
  await chown(dir, ATTACKER, ATTACKER);
  return dir;
}

/** The join must end by itself, refused: reaching "waiting for approval" means it paired. */
async function joinOutcome(join: RunningProcess): Promise<CommandResult> {
  const paired = join.waitFor(/waiting for approval/).then(
    () => 'paired' as const,
    () => 'exited' as const,
  );
  const outcome = await Promise.race([join.exited, paired]);
  if (outcome === 'paired') throw new Error(`the join paired with the daemon instead of refusing the state dir: ${join.stdout}`);
  return join.waitForExit();
}

describe.skipIf(!isRoot)("a state directory of another user's (real processes, as root)", { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  const shared = useSharedDaemon('palyra-e2e-foreign-');

  /** The daemon's error line for `dir`: the one the agent must give too. */
  async function daemonRefusal(dir: string): Promise<string> {
    return expectErrorLine(await daemonCli(dir, 'start', '--listen', '127.0.0.1:0'), 'PALYRA_E_STATE_PERMISSIONS', 77, { logs: true });
  }

  async function joinRefusal(dir: string): Promise<string> {
    const daemon = shared.running();
    const pin = await daemon.mintPin();
    const result = await joinOutcome(spawnJoin(dir, daemon, pin, ['--name', 'victim']));
    const message = expectErrorLine(result, 'PALYRA_E_STATE_PERMISSIONS', 77, { logs: true });
    // It never reached the daemon: no pairing request is waiting.
    expect(await daemon.json<PendingRow[]>('nodes', 'pending')).toEqual([]);
    return message;
  }

  it('join refuses a 0700 dir of another user holding their vault.key, with the daemon\u2019s error, before pairing and writing nothing', async () => {
    const parent = await shared.dirs.make('palyra-e2e-foreign-');
    const dir = await attackerDir(parent);
    const before = await snapshotTree(parent);
    const daemonMessage = await daemonRefusal(dir);
    expect(daemonMessage).toContain(`the state directory ${dir} belongs to uid ${ATTACKER}, not to this user (uid 0)`);
    const message = await joinRefusal(dir);
    expect(message).toBe(daemonMessage);
    // --vault file would have used (and a passphrase-less join created) files in it: nothing.
    const withKeyFile = await joinOutcome(spawnJoin(dir, shared.running(), await shared.running().mintPin(), ['--vault', 'file', '--vault-key-file', join(dir, 'vault.key')]));
    expect(expectErrorLine(withKeyFile, 'PALYRA_E_STATE_PERMISSIONS', 77, { logs: true })).toBe(daemonMessage);
    expect(await snapshotTree(parent)).toEqual(before);
  });

  it('refuses it reached through a symbolic link, whoever owns the link', async () => {
    const parent = await shared.dirs.make('palyra-e2e-foreign-');
    const dir = await attackerDir(parent);
    const rootLink = join(parent, 'root-link');
    await symlink(dir, rootLink);
    const attackerLink = join(parent, 'attacker-link');
    await symlink(dir, attackerLink);
    await lchown(attackerLink, ATTACKER, ATTACKER);
    const before = await snapshotTree(parent);

    // A link of root's own to the attacker's directory: the directory is refused, by its real path.
    const viaRootLink = await joinRefusal(rootLink);
    expect(viaRootLink).toContain(`the state directory ${dir} belongs to uid ${ATTACKER}`);
    expect(viaRootLink).toBe(await daemonRefusal(rootLink));

    // The attacker's link: refused for the link itself.
    const viaAttackerLink = await joinRefusal(attackerLink);
    expect(viaAttackerLink).toContain(`through the symbolic link ${attackerLink}, which belongs to uid ${ATTACKER}`);
    expect(viaAttackerLink).toBe(await daemonRefusal(attackerLink));
    expect(await snapshotTree(parent)).toEqual(before);
  });

  it('refuses a link of another user even when it leads to a directory of ours: they choose where it leads', async () => {
    const parent = await shared.dirs.make('palyra-e2e-foreign-');
    const mine = join(parent, 'mine');
    await mkdir(mine, { mode: 0o700 });
    const link = join(parent, 'attacker-link');
    await symlink(mine, link);
    await lchown(link, ATTACKER, ATTACKER);
    const before = await snapshotTree(parent);
    const message = await joinRefusal(link);
    expect(message).toContain(`through the symbolic link ${link}, which belongs to uid ${ATTACKER}`);
    expect(message).toBe(await daemonRefusal(link));
    expect(await snapshotTree(parent)).toEqual(before);
  });

  it('refuses a state dir of ours inside a directory another user owns (they can swap it)', async () => {
    const parent = await shared.dirs.make('palyra-e2e-foreign-');
    const theirs = join(parent, 'theirs');
    await mkdir(theirs, { mode: 0o755 });
    const dir = join(theirs, 'state');
    await mkdir(dir, { mode: 0o700 });
    await chown(theirs, ATTACKER, ATTACKER);
    const before = await snapshotTree(parent);
    const message = await joinRefusal(dir);
    expect(message).toContain(`the state directory ${dir} is inside ${theirs}, which belongs to uid ${ATTACKER}`);
    expect(message).toBe(await daemonRefusal(dir));
    expect(await snapshotTree(parent)).toEqual(before);
  });

  it('status, run, secrets and leave refuse it too, with the same error, and change nothing', async () => {
    const parent = await shared.dirs.make('palyra-e2e-foreign-');
    const dir = await attackerDir(parent);
    // A vault the attacker wrote, so that a reader has something to open (and leave something to delete).
    await writeFile(join(dir, 'vault.v1.enc'), 'not yours', { mode: 0o600 });
    await chown(join(dir, 'vault.v1.enc'), ATTACKER, ATTACKER);
    const before = await snapshotTree(parent);
    const expected = await daemonRefusal(dir);
    for (const args of [['status'], ['status', '--json'], ['run'], ['secrets', 'list'], ['secrets', 'set', 'node', 'token'], ['leave']]) {
      const result = await nodeCli(dir, ...args);
      expect(expectErrorLine(result, 'PALYRA_E_STATE_PERMISSIONS', 77, { logs: true }), args.join(' ')).toBe(expected);
    }
    expect(await snapshotTree(parent)).toEqual(before);
  });

  it('inside a state dir of ours, refuses a key file or a vault file another user owns', async () => {
    const parent = await shared.dirs.make('palyra-e2e-foreign-');
    const dir = join(parent, 'state');
    await mkdir(dir, { mode: 0o700 });
    // Say root copied in a directory of the attacker's with `cp -a`: the files keep their owner.
    const keyFile = join(dir, 'vault.key');
    await writeFile(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    await chown(keyFile, ATTACKER, ATTACKER);
    const before = await snapshotTree(parent);
    const keyMessage = await joinRefusal(dir);
    expect(keyMessage).toContain(`the vault key file ${keyFile} belongs to uid ${ATTACKER}`);
    expect(await snapshotTree(parent)).toEqual(before);

    const vaultFile = join(dir, 'vault.v1.enc');
    await writeFile(vaultFile, 'not yours', { mode: 0o600 });
    await chown(vaultFile, ATTACKER, ATTACKER);
    const vaultMessage = expectErrorLine(await nodeCli(dir, 'status'), 'PALYRA_E_STATE_PERMISSIONS', 77);
    expect(vaultMessage).toContain(`the vault file ${vaultFile} belongs to uid ${ATTACKER}`);
    expect(vaultMessage).toBe(await daemonRefusal(dir));
  });
});

describe.skipIf(isRoot)('a state directory of another user\u2019s', () => {
  it.skip(SKIP_MESSAGE, () => {});
});
