#!/usr/bin/env node
import { Builtins, Cli } from 'clipanion';
import { runProgram } from '@palyra/shared/cli';
import { JoinCommand } from '../commands/JoinCommand.js';
import { LeaveCommand } from '../commands/LeaveCommand.js';
import { PluginsCommand } from '../commands/PluginsCommand.js';
import { RunCommand } from '../commands/RunCommand.js';
import { SecretsDeleteCommand } from '../commands/SecretsDeleteCommand.js';
import { SecretsGetCommand } from '../commands/SecretsGetCommand.js';
import { SecretsListCommand } from '../commands/SecretsListCommand.js';
import { SecretsSetCommand } from '../commands/SecretsSetCommand.js';
import { ServiceInstallCommand } from '../commands/ServiceInstallCommand.js';
import { ServiceStatusCommand } from '../commands/ServiceStatusCommand.js';
import { ServiceUninstallCommand } from '../commands/ServiceUninstallCommand.js';
import { StatusCommand } from '../commands/StatusCommand.js';
import { AGENT_VERSION } from '../version.js';

const cli = new Cli({ binaryLabel: 'Palyra node agent', binaryName: 'palyra-node', binaryVersion: AGENT_VERSION });
for (const command of [
  JoinCommand,
  RunCommand,
  StatusCommand,
  PluginsCommand,
  LeaveCommand,
  SecretsSetCommand,
  SecretsGetCommand,
  SecretsListCommand,
  SecretsDeleteCommand,
  ServiceInstallCommand,
  ServiceStatusCommand,
  ServiceUninstallCommand,
  Builtins.HelpCommand,
  Builtins.VersionCommand,
]) {
  cli.register(command);
}

await runProgram(cli, process.argv.slice(2));
