import { Option } from 'clipanion';
import { PalyraCommand } from '@palyra/shared/cli';
import { resolveStateDir } from '@palyra/shared/config';

/**
 * Base of the commands that work on the daemon's own host only, on its state dir: `start`,
 * `config show`, `state ...`. The commands that talk to a running daemon (locally or
 * remotely) extend DaemonCommand.
 */
export abstract class StateDirCommand extends PalyraCommand {
  stateDir = Option.String('--state-dir', { description: 'Daemon state directory (default: PALYRA_STATE_DIR, then the XDG state dir)' });

  protected get resolvedStateDir(): string {
    return resolveStateDir('palyra', this.stateDir);
  }
}
