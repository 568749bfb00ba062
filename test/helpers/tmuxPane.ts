/**
 * A program in a real terminal: a tmux pane of its own tmux server, for tests of what a
 * user sees and types (full-screen TUIs, prompts that must not echo).
 */
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SESSION = 'pane';

/** tmux servers started by tests (each on its own socket), killed by killTmuxServers. */
const tmuxServers = new Set<string>();

/** A tmux server of its own (-L), so cleanup never touches anyone else's sessions. */
export class TmuxPane {
  private constructor(
    readonly server: string,
    private readonly statusFile: string,
  ) {}

  /**
   * Runs `command` in a detached session (80x24 by default). A shell around it writes its
   * exit status to `statusFile`: tmux itself does not always reap a pane's process (the pane
   * can stay "dead" with no status), so its pane_dead_status cannot be relied on.
   */
  static async start(command: string[], statusFile: string, size = { columns: 80, rows: 24 }): Promise<TmuxPane> {
    const server = `palyra-e2e-${process.pid}-${Date.now().toString(36)}-${tmuxServers.size}`;
    tmuxServers.add(server);
    const pane = new TmuxPane(server, statusFile);
    const wrapped = ['/bin/sh', '-c', 'status_file=$1; shift; "$@"; echo "$?" > "$status_file"', 'sh', statusFile, ...command];
    // -f /dev/null: no user config; remain-on-exit keeps the last screen after the program ends.
    await pane.tmux('-f', '/dev/null', 'new-session', '-d', '-s', SESSION, '-x', String(size.columns), '-y', String(size.rows), ...wrapped);
    await pane.tmux('set-option', '-t', SESSION, 'remain-on-exit', 'on');
    return pane;
  }

  async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.server, ...args], {
      env: { ...process.env, TERM: 'xterm-256color', PALYRA_STATE_DIR: '', PALYRA_DAEMON: '' },
    });
    return stdout;
  }

  capture(): Promise<string> {
    return this.tmux('capture-pane', '-p', '-t', SESSION);
  }

  sendKeys(...keys: string[]): Promise<string> {
    return this.tmux('send-keys', '-t', SESSION, ...keys);
  }

  async size(): Promise<string> {
    return (await this.tmux('display-message', '-p', '-t', SESSION, '#{pane_width}x#{pane_height}')).trim();
  }

  /** The pid of the program the pane's shell started (the shell's only child). */
  async programPid(): Promise<number> {
    const shellPid = (await this.tmux('display-message', '-p', '-t', SESSION, '#{pane_pid}')).trim();
    const children = await readFile(`/proc/${shellPid}/task/${shellPid}/children`, 'utf8');
    const pid = Number(children.trim().split(/\s+/)[0]);
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`the pane's shell (pid ${shellPid}) has no child`);
    return pid;
  }

  /** `null` while the program runs, else its exit status (128 + N for signal N). */
  async exitStatus(): Promise<number | null> {
    const text = await readFile(this.statusFile, 'utf8').catch(() => '');
    return text.trim() === '' ? null : Number(text.trim());
  }

  /** Polls until the program exited and returns its status; fails with the last screen. */
  async waitForExitStatus(timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.exitStatus();
      if (status !== null) return status;
      if (Date.now() >= deadline) throw new Error(`the program still runs after ${timeoutMs} ms; screen:\n${await this.capture()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Polls the screen until `test` holds; fails with the last screen. */
  async waitForScreen(test: (screen: string) => boolean, what: string, timeoutMs = 45_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < deadline) {
      screen = await this.capture();
      if (test(screen)) return screen;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; screen:\n${screen}`);
  }
}

/** Kills every tmux server a test started (call it in afterEach). */
export async function killTmuxServers(): Promise<void> {
  for (const server of tmuxServers) {
    await run('tmux', ['-L', server, 'kill-server']).catch(() => undefined);
    // tmux may leave the socket file of a server that is gone.
    await rm(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, server), { force: true });
  }
  tmuxServers.clear();
}
