import { PalyraError } from '@palyra/shared/errors';
import type { Validate } from '@palyra/shared/schema';
import { hasUnsafeText } from '@palyra/shared/text';
import type { Capability__Output } from '@palyra/proto';
import { SharedValidators } from './SharedValidators.js';

export interface KnownCapability {
  id: string;
  kind: string;
  description: string;
  plugin: string;
  inputSchemaJson: string;
  outputSchemaJson: string;
  validateInput: Validate;
}

const MAX_CAPABILITIES = 1024;
const MAX_SCHEMA_BYTES = 64 * 1024;

/**
 * The capabilities each node announced in RegisterNode, with their input schemas compiled,
 * so the daemon rejects bad input before it ever reaches the node. In memory only: a node
 * announces them again every time it connects.
 */
export class NodeCapabilities {
  private readonly byNode = new Map<string, Map<string, KnownCapability>>();
  private readonly validators = new SharedValidators();

  /** Validates and stores a node's announcement; throws PALYRA_E_INVALID_ARGUMENT. */
  set(deviceId: string, announced: readonly Capability__Output[]): KnownCapability[] {
    if (announced.length > MAX_CAPABILITIES) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `a node may announce at most ${MAX_CAPABILITIES} capabilities`);
    }
    const capabilities = new Map<string, KnownCapability>();
    try {
      for (const capability of announced) {
        if (!/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/.test(capability.id) || capabilities.has(capability.id)) {
          throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `capability id "${capability.id.slice(0, 64)}" is malformed or repeated`);
        }
        checkText(capability.kind, 'kind', capability.id, 32);
        checkText(capability.plugin, 'plugin', capability.id, 128);
        checkText(capability.description, 'description', capability.id, 1024);
        const validateInput = this.validators.acquire(
          capability.inputSchemaJson,
          () => parseSchema(capability.inputSchemaJson, capability.id),
          `the input schema of ${capability.id}`,
        );
        capabilities.set(capability.id, {
          id: capability.id,
          kind: capability.kind,
          description: capability.description,
          plugin: capability.plugin,
          inputSchemaJson: capability.inputSchemaJson,
          outputSchemaJson: capability.outputSchemaJson,
          validateInput,
        });
      }
    } catch (error) {
      this.release(capabilities);
      throw error;
    }
    this.release(this.byNode.get(deviceId));
    this.byNode.set(deviceId, capabilities);
    return [...capabilities.values()];
  }

  get(deviceId: string, capability: string): KnownCapability | undefined {
    return this.byNode.get(deviceId)?.get(capability);
  }

  list(deviceId: string): KnownCapability[] {
    return [...(this.byNode.get(deviceId)?.values() ?? [])];
  }

  forget(deviceId: string): void {
    this.release(this.byNode.get(deviceId));
    this.byNode.delete(deviceId);
  }

  private release(capabilities: Map<string, KnownCapability> | undefined): void {
    for (const capability of capabilities?.values() ?? []) this.validators.release(capability.inputSchemaJson);
  }
}

/** The pairing-time rule on a node's text (see hasUnsafeText), for the fields of a capability. */
function checkText(value: string, field: string, id: string, maxLength: number): void {
  if (value.length > maxLength) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the ${field} of capability ${id} is longer than ${maxLength} characters`);
  }
  if (hasUnsafeText(value)) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the ${field} of capability ${id} contains control, format or invisible characters`);
  }
}

function parseSchema(json: string, id: string): Record<string, unknown> {
  if (json.length > MAX_SCHEMA_BYTES) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the input schema of ${id} is larger than ${MAX_SCHEMA_BYTES} bytes`);
  }
  try {
    const schema: unknown = JSON.parse(json);
    if (typeof schema === 'object' && schema !== null && !Array.isArray(schema)) return schema as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the input schema of ${id} is not a JSON object`);
}
