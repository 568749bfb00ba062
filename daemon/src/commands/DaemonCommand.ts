import { Option } from 'clipanion';
import { PalyraCommand } from '@palyra/shared/cli';
import { resolveStateDir } from '@palyra/shared/config';
import type { ControlClient } from '../client/ControlClient.js';
import type { InvocationPrinter } from './invocationOutput.js';

/** Base of the commands that reach a running daemon through its admin socket. */
export abstract class DaemonCommand extends PalyraCommand {
  stateDir = Option.String('--state-dir', { description: 'Daemon state directory (default: PALYRA_STATE_DIR, then the XDG state dir)' });

  protected get resolvedStateDir(): string {
    return resolveStateDir('palyra', this.stateDir);
  }

  /** Opens a client for the duration of `fn`. */
  protected async withClient<T>(fn: (client: ControlClient) => Promise<T>): Promise<T> {
    // Loaded on use: every command class is imported to parse the command line, so what they
    // import at the top is paid by all of them (`start`, `--help` and `config show` need no client).
    const { ControlClient } = await import('../client/ControlClient.js');
    const client = await ControlClient.connect(this.resolvedStateDir);
    try {
      return await fn(client);
    } finally {
      client.close();
    }
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
