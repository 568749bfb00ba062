import { Option } from 'clipanion';
import { PalyraCommand } from '@palyra/shared/cli';
import { resolveStateDir } from '@palyra/shared/config';
import { ControlClient } from '../client/ControlClient.js';

/** Base of the commands that reach a running daemon through its admin socket. */
export abstract class DaemonCommand extends PalyraCommand {
  stateDir = Option.String('--state-dir', { description: 'Daemon state directory (default: PALYRA_STATE_DIR, then the XDG state dir)' });

  protected get resolvedStateDir(): string {
    return resolveStateDir('palyra', this.stateDir);
  }

  /** Opens a client for the duration of `fn`. */
  protected async withClient<T>(fn: (client: ControlClient) => Promise<T>): Promise<T> {
    const client = await ControlClient.connect(this.resolvedStateDir);
    try {
      return await fn(client);
    } finally {
      client.close();
    }
  }
}
