import { quoteEnvironment, quoteExecArg, quoteExecutable } from './systemdQuote.js';
import type { ServicePlan } from './types.js';

/** The first line of every unit Palyra writes: uninstall removes only a file that starts with it. */
export const UNIT_MARKER = '# Written by Palyra';

// The sandbox of examples/systemd that both programs share. A user manager applies only what
// seccomp and NoNewPrivileges give without privileges: the mount-namespace options
// (ProtectSystem=, PrivateTmp=, ...) would make it create a user namespace, which some
// distributions forbid to unprivileged processes, and the service would then not start at all.
const COMMON_SANDBOX = [
  'NoNewPrivileges=yes',
  'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
  'RestrictNamespaces=yes',
  'RestrictRealtime=yes',
  'RestrictSUIDSGID=yes',
  'LockPersonality=yes',
  "# Node's JIT needs writable and executable memory.",
  'MemoryDenyWriteExecute=no',
  'SystemCallArchitectures=native',
];

const SYSTEM_SANDBOX = [
  'ProtectSystem=strict',
  'PrivateTmp=yes',
  'PrivateDevices=yes',
  'ProtectKernelTunables=yes',
  'ProtectKernelModules=yes',
  'ProtectKernelLogs=yes',
  'ProtectControlGroups=yes',
  'ProtectClock=yes',
  'ProtectHostname=yes',
  'CapabilityBoundingSet=',
];

/** The unit file for a plan: the sandbox of examples/systemd, the state in StateDirectory= (0700). */
export function renderUnit(plan: ServicePlan, header: string): string {
  const { program, scope } = plan;
  const lines = [
    `${UNIT_MARKER}: ${header}`,
    '[Unit]',
    `Description=${program.description}`,
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    ...(plan.user === undefined ? [] : [`User=${plan.user}`]),
    ...(scope === 'system'
      ? ['# systemd creates the state directory owned by the service with mode 0700.', `StateDirectory=${program.stateDirectory}`, 'StateDirectoryMode=0700']
      : // Not StateDirectory=: in a user manager it lives under $XDG_CONFIG_HOME before systemd 254.
        ['# The program creates its state directory (PALYRA_STATE_DIR) with mode 0700 and refuses a looser one.']),
    ...plan.environment.map((e) => `Environment=${quoteEnvironment(e.name, e.value, e.literal)}`),
    `ExecStart=${[quoteExecutable(plan.exec[0] ?? ''), ...plan.exec.slice(1).map((arg) => quoteExecArg(arg))].join(' ')}`,
    'Restart=on-failure',
    'RestartSec=5s',
    'UMask=0077',
    '',
    ...COMMON_SANDBOX,
    ...(scope === 'system' ? SYSTEM_SANDBOX : []),
    ...program.sandbox,
    ...(scope === 'system' ? [...program.systemSandbox, `ReadWritePaths=%S/${program.stateDirectory}`] : []),
    '',
    '[Install]',
    `WantedBy=${scope === 'system' ? 'multi-user.target' : 'default.target'}`,
    '',
  ];
  return lines.join('\n');
}
