import type { ServiceProgram } from '@palyra/shared/service';

/** palyra-node as a systemd service: examples/systemd/palyra-node.service, generated. */
export const AGENT_SERVICE: ServiceProgram = {
  binary: 'palyra-node',
  unit: 'palyra-node',
  description: 'Palyra node agent',
  stateDirectory: 'palyra-node',
  systemUser: 'palyra-node',
  args: ['run'],
  configEnv: 'PALYRA_NODE_CONFIG',
  // No SystemCallFilter=: the shell plugin runs whatever commands the node's config grants,
  // and a filter would break them in ways the operator cannot see from the daemon.
  // KillMode=control-group (the default, said out loud) also stops what the shell plugin started.
  sandbox: ['KillMode=control-group'],
  // Read-only, not hidden: the filesystem plugin may serve roots under /home (widen
  // ReadWritePaths= to let it write there).
  systemSandbox: ['ProtectHome=read-only'],
  foreground: 'palyra-node run',
  followUp: [
    { text: 'pair it once, with a PIN from `palyrad pairing code` (the service retries every 5 s until then)', args: 'join --pin - --daemon HOST:PORT', createsVault: true },
  ],
};
