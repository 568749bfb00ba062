/**
 * @palyra/plugin-sdk/testing: run a plugin's capability in a test, with the agent's own
 * checks and execution core, without a daemon.
 */
export { runCapability, type CapabilityRun, type LogLine, type RunCapabilityOptions } from './runCapability.js';
export { memorySecrets } from './memorySecrets.js';
