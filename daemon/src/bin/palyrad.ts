#!/usr/bin/env node
import { Builtins, Cli } from 'clipanion';
import { runProgram } from '@palyra/shared/cli';
import { ApprovalsCommand } from '../commands/ApprovalsCommand.js';
import { AuthLoginCommand } from '../commands/AuthLoginCommand.js';
import { AuthLogoutCommand } from '../commands/AuthLogoutCommand.js';
import { AuthProfilesCommand } from '../commands/AuthProfilesCommand.js';
import { AuthStatusCommand } from '../commands/AuthStatusCommand.js';
import { AuditCommand } from '../commands/AuditCommand.js';
import { AuditVerifyCommand } from '../commands/AuditVerifyCommand.js';
import { CaFinishCommand } from '../commands/CaFinishCommand.js';
import { CaRotateCommand } from '../commands/CaRotateCommand.js';
import { CaStatusCommand } from '../commands/CaStatusCommand.js';
import { ConfigShowCommand } from '../commands/ConfigShowCommand.js';
import { DispatchesGetCommand } from '../commands/DispatchesGetCommand.js';
import { DispatchesListCommand } from '../commands/DispatchesListCommand.js';
import { DispatchesWatchCommand } from '../commands/DispatchesWatchCommand.js';
import { EventsCommand } from '../commands/EventsCommand.js';
import { NodesApproveCommand, NodesRejectCommand } from '../commands/NodesDecideCommands.js';
import { NodesInvokeCommand } from '../commands/NodesInvokeCommand.js';
import { NodesListCommand } from '../commands/NodesListCommand.js';
import { NodesPendingCommand } from '../commands/NodesPendingCommand.js';
import { NodesRemoveCommand } from '../commands/NodesRemoveCommand.js';
import { NodesLabelCommand } from '../commands/NodesLabelCommand.js';
import { NodesDescribeCommand } from '../commands/NodesDescribeCommand.js';
import { NodesRenewCommand } from '../commands/NodesRenewCommand.js';
import { PairingCodeCommand } from '../commands/PairingCodeCommand.js';
import { McpCommand } from '../commands/McpCommand.js';
import { StartCommand } from '../commands/StartCommand.js';
import { StateBackupCommand } from '../commands/StateBackupCommand.js';
import { StateExportCommand } from '../commands/StateExportCommand.js';
import { StateImportCommand } from '../commands/StateImportCommand.js';
import { ServiceInstallCommand } from '../commands/ServiceInstallCommand.js';
import { ServiceStatusCommand } from '../commands/ServiceStatusCommand.js';
import { ServiceUninstallCommand } from '../commands/ServiceUninstallCommand.js';
import { StatusCommand } from '../commands/StatusCommand.js';
import { TokensCreateCommand } from '../commands/TokensCreateCommand.js';
import { TokensListCommand } from '../commands/TokensListCommand.js';
import { TokensRevokeCommand } from '../commands/TokensRevokeCommand.js';
import { ToolsListCommand } from '../commands/ToolsListCommand.js';
import { DAEMON_VERSION } from '../version.js';

const cli = new Cli({ binaryLabel: 'Palyra daemon', binaryName: 'palyrad', binaryVersion: DAEMON_VERSION });
for (const command of [
  StartCommand,
  StatusCommand,
  PairingCodeCommand,
  NodesPendingCommand,
  NodesApproveCommand,
  NodesRejectCommand,
  NodesListCommand,
  NodesRemoveCommand,
  NodesLabelCommand,
  NodesDescribeCommand,
  NodesRenewCommand,
  NodesInvokeCommand,
  CaStatusCommand,
  CaRotateCommand,
  TokensCreateCommand,
  TokensListCommand,
  TokensRevokeCommand,
  CaFinishCommand,
  DispatchesListCommand,
  DispatchesGetCommand,
  DispatchesWatchCommand,
  ApprovalsCommand,
  EventsCommand,
  AuthLoginCommand,
  AuthStatusCommand,
  AuthLogoutCommand,
  AuthProfilesCommand,
  AuditCommand,
  AuditVerifyCommand,
  ToolsListCommand,
  McpCommand,
  ConfigShowCommand,
  StateExportCommand,
  StateImportCommand,
  StateBackupCommand,
  ServiceInstallCommand,
  ServiceStatusCommand,
  ServiceUninstallCommand,
  Builtins.HelpCommand,
  Builtins.VersionCommand,
]) {
  cli.register(command);
}

await runProgram(cli, process.argv.slice(2));
