export { Daemon, type DaemonInfo, type DaemonOptions } from './Daemon.js';
export { ControlClient, type CallOptions } from './client/ControlClient.js';
