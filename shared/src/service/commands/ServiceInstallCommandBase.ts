import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option } from 'clipanion';
import { installService } from '../installService.js';
import { renderUnit } from '../renderUnit.js';
import { quoteShell } from '../../text/quoteShell.js';
import type { ServicePlan } from '../types.js';
import { ServiceCommand } from './ServiceCommand.js';

/** `service install`: writes the unit, enables and starts it; `--dry-run` prints it. */
export abstract class ServiceInstallCommandBase extends ServiceCommand {
  config = Option.String('--config', { description: "Config file the service reads (written into the unit as an absolute path)" });
  serviceUser = Option.String('--service-user', { description: 'Account of a --system service (default palyra-node or palyra; created as a system user when missing)' });
  vault = Option.String('--vault', { description: 'PALYRA_VAULT of the service: auto, os or file (default: file for --system, unset for --user)' });
  dryRun = Option.Boolean('--dry-run', false, { description: 'Print the unit (and where it would go) instead of installing it' });

  protected abstract readonly version: string;

  async execute(): Promise<number> {
    const plan = this.plan({ config: this.config, serviceUser: this.serviceUser, vault: this.vault });
    const unit = renderUnit(plan, `${this.program.binary} ${this.version} service install --${plan.scope}; remove with ${this.program.binary} service uninstall --${plan.scope}`);
    const warn = (line: string): void => void this.context.stderr.write(`${this.program.binary}: warning: ${line}\n`);
    // On stderr with --dry-run too: that is where an operator checks a unit before installing it.
    warnHiddenPaths(plan, warn);
    if (this.dryRun) {
      if (this.json) this.printJson({ dryRun: true, scope: plan.scope, unitName: plan.unitName, unitPath: plan.unitPath, user: plan.user ?? null, stateDir: plan.stateDir, unit });
      else this.context.stdout.write(unit);
      return 0;
    }
    // The service reads it at every start: a missing file is a unit that fails later, unseen.
    if (this.config !== undefined && !existsSync(resolve(this.config))) warn(`--config ${resolve(this.config)} does not exist (yet): the service fails to start until it does`);
    const outcome = await this.withSignal((signal) => installService(plan, unit, { signal }));
    const followUp = this.program.followUp.map((step) => ({ text: step.text, command: commandAsService(plan, step.args, step.createsVault === true) }));
    if (this.json) {
      this.printJson({
        dryRun: false,
        scope: plan.scope,
        unitName: plan.unitName,
        unitPath: plan.unitPath,
        user: plan.user ?? null,
        userCreated: outcome.userCreated,
        replaced: outcome.replaced,
        enabled: true,
        started: true,
        stateDir: plan.stateDir,
        followUp,
      });
      return 0;
    }
    const ctl = plan.scope === 'user' ? 'systemctl --user' : 'systemctl';
    this.print(`${outcome.replaced ? 'replaced' : 'installed'} ${plan.unitPath} (${plan.scope}${plan.user === undefined ? '' : `, runs as ${plan.user}${outcome.userCreated ? ', account created' : ''}`})`);
    this.print(`enabled and started ${plan.unitName}; state in ${plan.stateDir} (0700)`);
    for (const step of followUp) this.print(`${step.text}:\n  ${step.command}`);
    this.print(`status: ${this.program.binary} service status --${plan.scope}  (or ${ctl} status ${plan.unitName}); logs: journalctl${plan.scope === 'user' ? ' --user' : ''} -u ${plan.unitName} -f`);
    return 0;
  }
}

/**
 * A command line that runs the program as the service does: its account, its environment.
 * For a step that creates the vault (join) with PALYRA_VAULT=file it also names the key file: typed at a terminal, `--vault file` would
 * otherwise ask for a passphrase and key the new vault with it, which the service (no terminal)
 * can never open. The key file it names is the one the service would have generated.
 */
function commandAsService(plan: ServicePlan, args: string, createsVault: boolean): string {
  const assignments = plan.environment.map((e) => `${e.name}=${e.literal ? e.value : e.value.replace(`%S/${plan.program.stateDirectory}`, plan.stateDir)}`);
  const vaultFile = plan.environment.some((e) => e.name === 'PALYRA_VAULT' && e.value === 'file');
  if (createsVault && vaultFile && !plan.environment.some((e) => e.name === 'PALYRA_VAULT_KEY_FILE')) assignments.push(`PALYRA_VAULT_KEY_FILE=${join(plan.stateDir, 'vault.key')}`);
  const env = assignments.map((a) => quoteShell(a));
  const sudo = plan.user === undefined ? '' : `sudo -u ${plan.user} `;
  return `${sudo}env ${env.join(' ')} ${plan.program.binary} ${args}`;
}

/**
 * ProtectHome= hides /home and /root from a system service, and PrivateTmp= gives it its own
 * empty /tmp and /var/tmp: a Node, a package or a config file there (nvm, a user's npm prefix,
 * an `npm install -g --prefix /tmp/...` tried out first) would make the service fail at its
 * first start, long after install said it was running.
 */
function warnHiddenPaths(plan: ServicePlan, warn: (line: string) => void): void {
  if (plan.scope !== 'system') return;
  for (const path of [...plan.exec.slice(0, 2), ...plan.environment.filter((e) => e.literal && e.value.startsWith('/')).map((e) => e.value)]) {
    if (/^\/(home|root|run\/user)(\/|$)/.test(path)) {
      warn(`${path} is under a home directory, which the system unit's sandbox hides (ProtectHome=): install with npm install -g as root (Node and the package under /usr) or use --user`);
    } else if (/^\/(var\/)?tmp(\/|$)/.test(path)) {
      warn(`${path} is under /tmp or /var/tmp, which the system unit's sandbox replaces with an empty directory of its own (PrivateTmp=): install with npm install -g as root (Node and the package under /usr) and keep the config file outside /tmp`);
    }
  }
}
