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

/**
 * A daemon and a paired agent with the shell plugin, running `sh` that started a `sleep` and
 * waits for it (a command with a child in its group), and the agent's one watchdog.
 */
async function commandWithChild(name: string) {
  const base = await dirs.make(`palyra-e2e-${name}-`);
  const root = join(base, 'root');
  await mkdir(root);
  const daemon = await DaemonProcess.start(join(base, 'daemon'));
  const nodeDir = join(base, 'node');
  const deviceId = await pairNode(daemon, nodeDir, `${name}-node`);
  const config = await writeNodeConfig(base, { plugins: [{ use: 'shell', grants: { commands: ['sh'], roots: [root], timeoutMs: 120_000 } }] });
  const agent = await startAgent(nodeDir, config);

  const pidFile = join(root, 'pids');
  const cli = spawnInvoke(daemon, deviceId, 'shell.exec', { command: 'sh', args: ['-c', `sleep 300 & echo $$ $! > ${pidFile}; echo started; wait`] });
  await cli.waitFor(/started/, 30_000);
  const [shellPid = 0, sleepPid = 0] = await readPids(pidFile, 2);
  started.set(shellPid, pidFile).set(sleepPid, 'sleep');

  const [watchdog = 0] = await pollUntil(async () => {
    const found = childrenOf(agent.pid, 'read -r line');
    return found.length === 1 ? found : undefined;
  }, { timeoutMs: 10_000, what: "the shell plugin's watchdog" });
  return { agent, cli, config, nodeDir, pidFile, shellPid, sleepPid, watchdog };
}

/**
 * The invocation ends at its 30 s deadline (the node is gone), counted from its start, not from
 * the kill: waiting 30 s more after the setup raced it on a loaded machine (CI saw the CLI print
 * its result just after the wait gave up).
 */
const CLI_ENDS_MS = 60_000;

describe('shell.exec children and a SIGKILLed agent (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('a watchdog killed mid-command is replaced: the command and its child still die with the agent', async () => {
    const { agent, cli, shellPid, sleepPid, watchdog } = await commandWithChild('shell-death');
    process.kill(watchdog, 'SIGKILL');
    await waitForPidGone(watchdog, 'the killed watchdog');
    const replacement = await pollUntil(async () => childrenOf(agent.pid, 'read -r line').find((pid) => pid !== watchdog), {
      timeoutMs: 10_000,
      what: 'a new watchdog',
    });
    expect(replacement).not.toBe(watchdog);

    agent.signal('SIGKILL');
    await agent.exited;
    await waitForPidGone(shellPid, "the shell of the killed agent's command");
    await waitForPidGone(sleepPid, "the sleep started by the killed agent's command");
    await cli.waitForExit(CLI_ENDS_MS);
  });

  it('the watchdog and the agent both SIGKILLed: the command and its child survive, and the next agent on that state dir kills them at start', async () => {
    const { agent, cli, config, nodeDir, pidFile, shellPid, sleepPid, watchdog } = await commandWithChild('shell-reap');
    // Frozen, the agent cannot start a new watchdog when this one dies; SIGKILL ends it frozen.
    process.kill(agent.pid, 'SIGSTOP');
    process.kill(watchdog, 'SIGKILL');
    await waitForPidGone(watchdog, 'the killed watchdog');
    agent.signal('SIGKILL');
    await agent.exited;
    await cli.waitForExit(CLI_ENDS_MS);
    // Nothing is left to kill them: they run on.
    expect(commandStillRuns(shellPid, pidFile)).toBe(true);
    expect(commandStillRuns(sleepPid, 'sleep')).toBe(true);

    const next = await startAgent(nodeDir, config);
    await waitForPidGone(shellPid, 'the shell left running by the previous agent');
    await waitForPidGone(sleepPid, 'the sleep left running by the previous agent');
    await pollUntil(async () => (/killed a process group left running by a previous agent/.test(next.stdout + next.stderr) ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the log line of the reaped group',
    });
    const journals = readdirSync(join(nodeDir, 'plugins', 'shell')).filter((name) => name.endsWith('.journal'));
    // Only the new agent's own journal is left.
    expect(journals).toHaveLength(1);
    expect(journals[0]).toMatch(new RegExp(`^groups-${next.pid}-`));
  });
});
