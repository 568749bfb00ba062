import type { CapabilityDescriptor, ExecuteRequest, ExecutionOutcome, ExecutionSink } from '../plugins/types.js';

/**
 * Runs capabilities for the connection: the plugin host is the one implementation; the
 * connection depends only on this much of it. `execute` never rejects.
 */
export interface CapabilityExecutor {
  capabilities(): CapabilityDescriptor[];
  execute(request: ExecuteRequest, sink: ExecutionSink): Promise<ExecutionOutcome>;
}
