import { Option } from 'clipanion';
import { StateDirCommand } from './StateDirCommand.js';

/**
 * Base of the `palyrad state` commands: they open the daemon's store directly, so they take
 * what `palyrad start` takes to find it: --state-dir, and --store (env PALYRA_STORE, config
 * `store`) with the config file that may name it.
 */
export abstract class StateStoreCommand extends StateDirCommand {
  store = Option.String('--store', {
    description: 'Where the state lives, as for palyrad start (env PALYRA_STORE): sqlite (default: palyrad.db in the state dir) or a postgres:// URL',
  });
  config = Option.String('--config', { description: 'Config file (env PALYRA_CONFIG; default: a palyra config found from the working directory up)' });

  /** The store setting from the flag, the environment or the config file ('' for the SQLite default). */
  protected async storeSetting(): Promise<string> {
    const { loadDaemonSettings } = await import('../config/daemonSettings.js');
    const { settings } = await loadDaemonSettings({ store: this.store }, { configPath: this.config });
    return settings.store.value;
  }
}
