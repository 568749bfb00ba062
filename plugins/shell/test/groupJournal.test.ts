/**
 * The record of live process groups that lets the next agent kill what a previous one left
 * running (groupJournal.ts). Real processes and real files: detached `sleep`s lead their own
 * groups, the journals are written as a dead agent would have left them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { processStartTime } from '@palyra/shared/fs';
import { closeGroupJournal, journalGroupEnded, journalGroupStarted, openGroupJournal, reapLeftoverGroups } from '../src/groupJournal.js';

const POSIX_PROC = process.platform === 'linux' && existsSync('/proc/self/stat');
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  closeGroupJournal(true);
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palyra-shell-journal-'));
  dirs.push(dir);
  return dir;
}

/** A `sleep` leading its own process group, as runProcess starts a command. */
function groupLeader(): number {
  const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  children.push(child);
  return child.pid ?? 0;
}

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (running(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} still runs`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The pid of a process that has exited: a dead agent. */
function deadPid(): number {
  return spawnSync('true').pid ?? 0;
}

const boot = (): string => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

async function writeJournal(dir: string, name: string, header: string, lines: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, [header, ...lines, ''].join('\n'), { mode: 0o600 });
  return path;
}

describe.skipIf(!POSIX_PROC)('shell group journal', () => {
  it("kills a dead agent's live groups whose leader has the recorded start time, never a reused pid, and removes the journal", async () => {
    const dir = await tempDir();
    const mine = groupLeader();
    const reused = groupLeader();
    const ended = groupLeader();
    const agent = deadPid();
    const path = await writeJournal(dir, `groups-${agent}-1.journal`, `palyra-shell-groups 1 ${boot()} ${agent} 1`, [
      `+${mine} ${processStartTime(mine)}`,
      // Same pid, another start time: the pid was reused by an unrelated process.
      `+${reused} 1`,
      `+${ended} ${processStartTime(ended)}`,
      `-${ended}`,
      '+12', // torn last line
    ]);

    // A temp file of a write the dead agent did not finish; and one of a live agent's.
    const deadTemp = await writeJournal(dir, `.groups-${agent}-1.journal.00aa11.tmp`, 'partial', []);
    const liveTemp = await writeJournal(dir, `.groups-${process.pid}-${processStartTime(process.pid)}.journal.00bb22.tmp`, 'partial', []);

    const { reaped, problems } = await reapLeftoverGroups(dir);
    expect(problems).toEqual([]);
    expect(existsSync(deadTemp)).toBe(false);
    expect(existsSync(liveTemp)).toBe(true);
    expect(reaped).toEqual([{ pgid: mine, agentPid: agent }]);
    await gone(mine);
    expect(running(reused)).toBe(true);
    expect(running(ended)).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it('leaves the journal of an agent that still runs, and one from another boot kills nothing', async () => {
    const dir = await tempDir();
    const leader = groupLeader();
    const line = `+${leader} ${processStartTime(leader)}`;
    const live = await writeJournal(dir, 'groups-1-1.journal', `palyra-shell-groups 1 ${boot()} ${process.pid} ${processStartTime(process.pid)}`, [line]);
    const agent = deadPid();
    const otherBoot = await writeJournal(dir, `groups-${agent}-2.journal`, `palyra-shell-groups 1 not-this-boot ${agent} 2`, [line]);

    const { reaped } = await reapLeftoverGroups(dir);
    expect(reaped).toEqual([]);
    expect(running(leader)).toBe(true);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(otherBoot)).toBe(false);
  });

  it("records this agent's groups (0600), compacts a long journal to the live ones, and is removed once they end", async () => {
    const dir = await tempDir();
    const kept = groupLeader();
    journalGroupStarted(kept);
    await openGroupJournal(dir);
    const [name = ''] = readdirSync(dir);
    expect(name).toMatch(new RegExp(`^groups-${process.pid}-\\d+\\.journal$`));
    const path = join(dir, name);
    expect((await readFile(path, 'utf8')).split('\n')).toContain(`+${kept} ${processStartTime(kept)}`);
    if (process.platform !== 'win32') expect((await import('node:fs')).statSync(path).mode & 0o777).toBe(0o600);

    // Far more lines than COMPACT_AT: groups that started and ended, around one that lives.
    for (let pgid = 5_000_000; pgid < 5_006_000; pgid += 1) {
      journalGroupStarted(pgid);
      journalGroupEnded(pgid);
    }
    // Replayed, the compacted journal lists exactly the live group.
    const replay = (lines: string[]): string[] => {
      const live = new Set<string>();
      for (const l of lines.slice(1)) {
        if (l.startsWith('+')) live.add(l.slice(1).split(' ')[0] ?? '');
        else live.delete(l.slice(1));
      }
      return [...live];
    };
    const deadline = Date.now() + 10_000;
    let compacted = '';
    for (;;) {
      const names = readdirSync(dir);
      const lines = names.length === 1 ? (await readFile(join(dir, names[0] ?? ''), 'utf8')).split('\n').filter((l) => l !== '') : [];
      if (names.length === 1 && names[0] !== name && lines.length < 4096) {
        expect(replay(lines)).toEqual([String(kept)]);
        compacted = join(dir, names[0] ?? '');
        break;
      }
      if (Date.now() > deadline) throw new Error(`journal not compacted: ${names.join(', ')} (${lines.length} lines)`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    // Disposed while a group runs: the journal stays until that group ends.
    closeGroupJournal(false);
    expect(existsSync(compacted)).toBe(true);
    journalGroupEnded(kept);
    expect(existsSync(compacted)).toBe(false);
  });

  it('keeps writing to its own file after a compaction whose old journal someone else removed (never to a reused descriptor)', async () => {
    const dir = await tempDir();
    await openGroupJournal(dir);
    const [first = ''] = readdirSync(dir);
    // Removed behind the agent's back (an operator, a cleaner, another agent on the state dir).
    await rm(join(dir, first));
    for (let pgid = 6_000_000; pgid < 6_003_000; pgid += 1) {
      journalGroupStarted(pgid);
      journalGroupEnded(pgid);
    }
    // The compaction is over once the lines written while it ran are in the new file (they
    // are appended in the same synchronous step that closes the old descriptor); the file
    // itself appears earlier, while writeFileAtomic still runs.
    const compacted = (): boolean =>
      readdirSync(dir).some((name) => name.endsWith('.journal') && readFileSync(join(dir, name), 'utf8').endsWith('-6002999\n'));
    const deadline = Date.now() + 10_000;
    while (!compacted()) {
      if (Date.now() > deadline) throw new Error('journal not compacted');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The next file this process opens may get the old journal's descriptor number.
    const victimPath = join(dir, 'victim.txt');
    const victim = openSync(victimPath, 'w');
    try {
      writeSync(victim, 'VICTIM\n');
      const kept = groupLeader();
      journalGroupStarted(kept);
      journalGroupEnded(kept);
      expect(readFileSync(victimPath, 'utf8')).toBe('VICTIM\n');
      const [journalName = ''] = readdirSync(dir).filter((name) => name.endsWith('.journal'));
      expect(readFileSync(join(dir, journalName), 'utf8')).toContain(`+${kept} `);
    } finally {
      closeSync(victim);
    }
  });
});
