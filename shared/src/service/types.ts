/** Where a unit lives: the user's own systemd manager, or the host's. */
export type ServiceScope = 'user' | 'system';

/**
 * What one program needs from its systemd unit. palyra-node and palyrad each declare one;
 * everything else (rendering, install, status, uninstall) is common.
 */
export interface ServiceProgram {
  /** The command name, for messages: `palyra-node`, `palyrad`. */
  readonly binary: string;
  /** The unit's name without `.service`. */
  readonly unit: string;
  readonly description: string;
  /** StateDirectory= (relative to /var/lib, or to $XDG_STATE_HOME in a user unit). */
  readonly stateDirectory: string;
  /** The account a system unit runs as unless --service-user says otherwise. */
  readonly systemUser: string;
  /** The arguments after the program's script: `run`, `start`. */
  readonly args: readonly string[];
  /** The environment variable that names the program's config file. */
  readonly configEnv: string;
  /** [Service] lines of this program's sandbox that a user manager can apply too. */
  readonly sandbox: readonly string[];
  /** [Service] lines of this program's sandbox for a system unit only (they need a privileged manager). */
  readonly systemSandbox: readonly string[];
  /** The foreground command to suggest when there is no systemd. */
  readonly foreground: string;
  /** What to run next, printed after install: each command runs as the service would (its account, its environment). */
  /** `createsVault`: the step makes the program's vault (pair), so it must not key it with a terminal's passphrase. */
  readonly followUp: ReadonlyArray<{ readonly text: string; readonly args: string; readonly createsVault?: boolean }>;
}

/** Everything install, status and uninstall decide before they touch the host. */
export interface ServicePlan {
  readonly program: ServiceProgram;
  readonly scope: ServiceScope;
  /** `<unit>.service` */
  readonly unitName: string;
  /** Where the unit file goes. */
  readonly unitPath: string;
  /** The account of a system unit (undefined for a user unit: it runs as the user). */
  readonly user: string | undefined;
  /** ExecStart=: the Node binary, the program's script, the program's arguments. */
  readonly exec: readonly string[];
  /** Environment= of the unit, in order. `literal: false` values use systemd specifiers (`%S`) on purpose. */
  readonly environment: ReadonlyArray<{ readonly name: string; readonly value: string; readonly literal: boolean }>;
  /** The state directory as the running service sees it (for messages). */
  readonly stateDir: string;
}
