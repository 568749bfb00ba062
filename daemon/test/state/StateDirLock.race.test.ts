/**
 * daemon.lock under contention, with real processes: many processes that all find a stale
 * lock (its pid dead) race to take it over, round after round, and exactly one wins each
 * round. The old lock let two win when both removed the dead holder's file, the second
 * removal deleting the lock the first had just taken.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const LOCK_MODULE = fileURLToPath(new URL('../../dist/state/StateDirLock.js', import.meta.url));
const RACERS = 16;
const ROUNDS = 40;

/**
 * A racer: on `go` it tries the lock once and says `won` or `lost <code>`; on `release` it
 * releases (if it won) and says `released`.
 */
const RACER = `
import { createInterface } from 'node:readline';
const { StateDirLock } = await import(process.argv[1]);
const dir = process.argv[2];
let lock;
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'go') {
    lock = new StateDirLock(dir);
    try {
      await lock.acquire();
      console.log('won');
    } catch (error) {
      lock = undefined;
      console.log('lost ' + (error.code ?? error.message));
    }
  } else if (line === 'release') {
    await lock?.release();
    lock = undefined;
    console.log('released');
  }
}
`;

class Racer {
  private readonly lines: string[] = [];
  private waiting: (() => void) | undefined;
  readonly child: ChildProcess;

  constructor(dir: string) {
    this.child = spawn(process.execPath, ['--input-type=module', '-e', RACER, LOCK_MODULE, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      this.waiting?.();
    });
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  async next(): Promise<string> {
    while (this.lines.length === 0) {
      if (this.child.exitCode !== null) throw new Error(`racer ${this.child.pid} exited`);
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
    return this.lines.shift()!;
  }
}

/** A pid that no process has any more. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

const dirs: string[] = [];
const racers: Racer[] = [];
afterAll(async () => {
  for (const racer of racers) racer.child.kill('SIGKILL');
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('StateDirLock under contention', () => {
  it(`lets exactly one of ${RACERS} processes take over a stale lock, in each of ${ROUNDS} rounds`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palyra-lock-race-'));
    dirs.push(dir);
    const lockPath = join(dir, 'daemon.lock');
    racers.push(...Array.from({ length: RACERS }, () => new Racer(dir)));
    const dead = await deadPid();
    const rounds: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      // Left by a crash: the format of this version (pid, start time, nonce) or of older ones (pid alone).
      await writeFile(lockPath, round % 2 === 0 ? `${dead}\n` : `${dead} 12345 stale${round}\n`);
      for (const racer of racers) racer.send('go');
      const outcomes = await Promise.all(racers.map((racer) => racer.next()));
      const winners = racers.filter((_racer, index) => outcomes[index] === 'won');
      expect(outcomes.filter((outcome) => outcome !== 'won' && outcome !== 'lost PALYRA_E_DAEMON_RUNNING')).toEqual([]);
      rounds.push(winners.length);
      if (winners.length === 1) {
        // The file names the winner.
        expect(Number((await readFile(lockPath, 'utf8')).split(/\s/)[0])).toBe(winners[0]!.child.pid);
      }
      for (const racer of racers) racer.send('release');
      await Promise.all(racers.map((racer) => racer.next()));
    }
    expect(rounds).toEqual(Array.from({ length: ROUNDS }, () => 1));
  }, 240_000);
});
