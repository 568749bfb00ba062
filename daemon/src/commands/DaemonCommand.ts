import { Option } from 'clipanion';
import type { ControlClient } from '../client/ControlClient.js';
import { CA_FINGERPRINT_ENV, PROFILE_ENV, TOKEN_ENV, resolveControlTarget, type ControlTarget } from './controlTarget.js';
import type { InvocationPrinter } from './invocationOutput.js';
import { StateDirCommand } from './StateDirCommand.js';

/**
 * Base of the commands that talk to a running daemon: through its admin socket in the state
 * dir (as the local owner), or remotely through its TLS admin endpoint with a saved profile
 * (`--profile`, PALYRA_PROFILE) or an address, a pinned CA and a token (`--daemon`).
 */
export abstract class DaemonCommand extends StateDirCommand {
  profile = Option.String('--profile', { description: `Operator profile to use, saved by palyrad auth login (env ${PROFILE_ENV})` });
  daemon = Option.String('--daemon', {
    description: `HOST:PORT of a daemon's remote admin endpoint; with --ca-fingerprint and the API token in ${TOKEN_ENV}`,
  });
  caFingerprint = Option.String('--ca-fingerprint', { description: `SHA-256 of that daemon's CA certificate, as its ready line's ca= (env ${CA_FINGERPRINT_ENV})` });

  /** Where this command goes (PALYRA_E_USAGE for conflicting choices). */
  protected controlTarget(): ControlTarget {
    return resolveControlTarget(
      { profile: this.profile, daemon: this.daemon, caFingerprint: this.caFingerprint, stateDir: this.stateDir },
      () => this.resolvedStateDir,
    );
  }

  /** Opens a client of the chosen daemon for the duration of `fn`. */
  protected async withClient<T>(fn: (client: ControlClient) => Promise<T>): Promise<T> {
    const client = await this.openClient();
    try {
      return await fn(client);
    } finally {
      client.close();
    }
  }

  protected async openClient(): Promise<ControlClient> {
    const target = this.controlTarget();
    // Loaded on use: every command class is imported to parse the command line, so what they
    // import at the top is paid by all of them (`start`, `--help` and `config show` need no client).
    if (target.kind === 'profile') {
      const { openProfileClient } = await import('../profiles/openProfileClient.js');
      return (await openProfileClient(target.name)).client;
    }
    const { ControlClient } = await import('../client/ControlClient.js');
    if (target.kind === 'address') return ControlClient.connectRemote(target);
    return ControlClient.connect(target.stateDir);
  }

  /** Where a command that reports a dispatch (`nodes invoke`, `dispatches watch`) prints. */
  protected invocationPrinter(json: boolean): InvocationPrinter {
    return {
      stdout: this.context.stdout,
      stderr: this.context.stderr,
      json,
      printJson: (value) => this.printJson(value),
      print: (line) => this.print(line),
    };
  }
}
