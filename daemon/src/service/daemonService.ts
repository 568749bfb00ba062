import type { ServiceProgram } from '@palyra/shared/service';

/** palyrad as a systemd service: examples/systemd/palyrad.service, generated. */
export const DAEMON_SERVICE: ServiceProgram = {
  binary: 'palyrad',
  unit: 'palyrad',
  description: 'Palyra control daemon',
  stateDirectory: 'palyra',
  systemUser: 'palyra',
  // The listen addresses come from the config file (--config) or the defaults (0.0.0.0:7443).
  args: ['start'],
  configEnv: 'PALYRA_CONFIG',
  sandbox: ['SystemCallFilter=@system-service', 'SystemCallFilter=~@privileged @resources'],
  systemSandbox: ['ProtectHome=yes', 'ProtectProc=invisible', 'ProcSubset=pid', 'AmbientCapabilities=', 'RuntimeDirectory=palyra', 'LimitNOFILE=65536'],
  foreground: 'palyrad start',
  followUp: [
    { text: 'mint a pairing code for a node (it prints the command to run on the node)', args: 'pairing code' },
    { text: 'see the daemon', args: 'status' },
  ],
};
