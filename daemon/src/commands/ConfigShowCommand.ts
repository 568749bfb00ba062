import { Command, Option } from 'clipanion';
import { describeSettings, resolveStateDir } from '@palyra/shared/config';
import { StateDirCommand } from './StateDirCommand.js';

export class ConfigShowCommand extends StateDirCommand {
  static override paths = [['config', 'show']];
  static override usage = Command.Usage({
    description: 'Print the effective daemon configuration and where each value comes from',
    details: 'Precedence: flags, then PALYRA_* environment variables, then the config file (cosmiconfig name `palyra`), then built-in defaults. Secrets are masked.',
    examples: [['As JSON', 'palyrad config show --json'], ['With an explicit file', 'palyrad config show --config /etc/palyra/palyra.config.json']],
  });

  config = Option.String('--config', { description: 'Config file (default: PALYRA_CONFIG, else a palyra config found from the working directory up)' });
  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    // Loaded on use (it brings the logger's level list, hence pino): see DaemonCommand.withClient.
    const { loadDaemonSettings } = await import('../config/daemonSettings.js');
    const { settings, configFile } = await loadDaemonSettings({}, { configPath: this.config });
    const document = {
      configFile,
      stateDir: { value: resolveStateDir('palyra', this.stateDir), source: this.stateDir !== undefined ? 'flag' : process.env.PALYRA_STATE_DIR ? 'env' : 'default' },
      ...describeSettings(settings),
    };
    if (this.json) {
      this.printJson(document);
      return 0;
    }
    this.print(`config file  ${configFile ?? '(none found)'}`);
    for (const [key, entry] of Object.entries(document)) {
      if (key === 'configFile' || typeof entry !== 'object' || entry === null) continue;
      const { value, source } = entry as { value: unknown; source: string };
      this.print(`${key.padEnd(18)} ${String(value === '' ? '(unset)' : value).padEnd(28)} ${source}`);
    }
    return 0;
  }
}
