/**
 * Item 9 of issue 13: nothing a `shell.exec` started outlives a SIGKILLed agent, even when the
 * shell plugin's watchdog (the process that kills the groups once the agent is gone) was itself
 * killed while the command ran: the agent starts another and hands it the live groups. Real
 * processes: a daemon, a paired `palyra-node run` with the shell plugin, `palyrad nodes invoke`.
 * (test/e2e/dispatch.test.ts covers the plain case: agent SIGKILLed, watchdog untouched.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DaemonProcess, pairNode } from '../helpers/daemonHarness.js';
import { commandStillRuns, killLeftover, readPids, spawnInvoke, startAgent, waitForPidGone, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_TEST_TIMEOUT_MS, pollUntil, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();
const started = new Map<number, string>();

afterAll(async () => {
  await stopProcesses();
  for (const [pid, marker] of started) if (commandStillRuns(pid, marker)) killLeftover(pid, marker);
  await dirs.cleanup();
});

/** The children of `parent` whose command line contains `marker`. */
function childrenOf(parent: number, marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

describe('shell.exec children and a SIGKILLed agent (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('a watchdog killed mid-command is replaced: the command and its child still die with the agent', async () => {
    const base = await dirs.make('palyra-e2e-shell-death-');
    const root = join(base, 'root');
    await mkdir(root);
    const daemon = await DaemonProcess.start(join(base, 'daemon'));
    const nodeDir = join(base, 'node');
    const deviceId = await pairNode(daemon, nodeDir, 'shell-death-node');
    const config = await writeNodeConfig(base, { plugins: [{ use: 'shell', grants: { commands: ['sh'], roots: [root], timeoutMs: 120_000 } }] });
    const agent = await startAgent(nodeDir, config);

    const pidFile = join(root, 'pids');
    const cli = spawnInvoke(daemon, deviceId, 'shell.exec', { command: 'sh', args: ['-c', `sleep 300 & echo $$ $! > ${pidFile}; echo started; wait`] });
    await cli.waitFor(/started/, 30_000);
    const [shellPid = 0, sleepPid = 0] = await readPids(pidFile, 2);
    started.set(shellPid, pidFile).set(sleepPid, 'sleep');

    const [watchdog] = await pollUntil(async () => {
      const found = childrenOf(agent.pid, 'read -r line');
      return found.length === 1 ? found : undefined;
    }, { timeoutMs: 10_000, what: "the shell plugin's watchdog" });
    process.kill(watchdog ?? 0, 'SIGKILL');
    await waitForPidGone(watchdog ?? 0, 'the killed watchdog');
    const replacement = await pollUntil(async () => childrenOf(agent.pid, 'read -r line').find((pid) => pid !== watchdog), {
      timeoutMs: 10_000,
      what: 'a new watchdog',
    });
    expect(replacement).not.toBe(watchdog);

    agent.signal('SIGKILL');
    await agent.exited;
    await waitForPidGone(shellPid, "the shell of the killed agent's command");
    await waitForPidGone(sleepPid, "the sleep started by the killed agent's command");
    await cli.waitForExit(30_000);
  });
});
