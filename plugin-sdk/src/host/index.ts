/**
 * @palyra/plugin-sdk/host: how a plugin is checked and run, the one implementation the
 * agent's PluginHost and the test harness (`@palyra/plugin-sdk/testing`) both use: manifest
 * validation with compiled schemas, grants freezing, and CapabilityExecution (input and
 * output checks, deadline, cancel, streamed chunks and progress).
 */
export {
  validatePluginManifest,
  CAPABILITY_KINDS,
  PLUGIN_NAME_PATTERN,
  PLUGIN_VERSION_PATTERN,
  describe,
  type ValidatedCapability,
  type ValidatedPlugin,
} from './validatePluginManifest.js';
export { CAPABILITY_ID_PATTERN } from '../plugins/capabilityId.js';
export { CapabilityExecution, type CapabilityExecutionOptions } from './CapabilityExecution.js';
export { ScopedLogger } from './ScopedLogger.js';
export { freezeGrants } from './freezeGrants.js';
export type { ExecuteRequest, ExecutionOutcome, ExecutionSink, ExecutionStatus } from './types.js';
export { compileSchema, describeErrors, type Validate } from '../schema/SchemaValidator.js';
export { displayText, hasUnsafeText } from '../text/peerText.js';
export { SECRET_KEY_PATTERN, MAX_SECRET_BYTES, checkKey, checkSecretValue } from '../plugins/secretRules.js';
