import { CAPABILITY_ID_PATTERN } from '@palyra/plugin-sdk';
import { PalyraError } from '@palyra/shared/errors';
import { hasUnsafeText } from '@palyra/shared/text';
import type { Capability__Output } from '@palyra/proto';
import type { SchemaWorker, ValidateInput } from './SchemaWorker.js';

export interface KnownCapability {
  id: string;
  kind: string;
  description: string;
  plugin: string;
  inputSchemaJson: string;
  outputSchemaJson: string;
  /** Checks an input (JSON text) in the schema worker. */
  validateInput: ValidateInput;
}

const MAX_CAPABILITIES = 1024;
const MAX_SCHEMA_BYTES = 64 * 1024;

/**
 * The capabilities each node announced in RegisterNode, with their input schemas compiled
 * (in the schema worker, shared by schema text), so the daemon rejects bad input before it
 * ever reaches the node. In memory only: a node announces them again every time it connects.
 */
export class NodeCapabilities {
  private readonly byNode = new Map<string, Map<string, KnownCapability>>();
  /** Per device, the newest set() under way: an older one that ends later is not applied. */
  private readonly newest = new Map<string, number>();
  private sequence = 0;

  constructor(private readonly schemas: SchemaWorker) {}

  /**
   * Validates, compiles and stores a node's announcement. Throws PALYRA_E_INVALID_ARGUMENT or
   * PALYRA_E_SCHEMA_REFUSED, and then the node's previous announcement stays in force.
   *
   * Compiling takes time (in the schema worker), so two announcements of one node may
   * overlap: the one that started last wins, an older one that ends after it started fails
   * with PALYRA_E_CANCELLED and changes nothing; so does one under way when forget() is called.
   */
  async set(deviceId: string, announced: readonly Capability__Output[], { signal }: { signal?: AbortSignal } = {}): Promise<KnownCapability[]> {
    if (announced.length > MAX_CAPABILITIES) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `a node may announce at most ${MAX_CAPABILITIES} capabilities`);
    }
    // Everything that needs no compiling is checked first, before any work in the worker.
    const ids = new Set<string>();
    for (const capability of announced) {
      if (!CAPABILITY_ID_PATTERN.test(capability.id) || ids.has(capability.id)) {
        throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `capability id "${capability.id.slice(0, 64)}" is malformed or repeated`);
      }
      ids.add(capability.id);
      checkText(capability.kind, 'kind', capability.id, 32);
      checkText(capability.plugin, 'plugin', capability.id, 128);
      checkText(capability.description, 'description', capability.id, 1024);
      if (capability.inputSchemaJson.length > MAX_SCHEMA_BYTES) {
        throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the input schema of ${capability.id} is larger than ${MAX_SCHEMA_BYTES} bytes`);
      }
    }
    const mine = ++this.sequence;
    this.newest.set(deviceId, mine);
    const capabilities = new Map<string, KnownCapability>();
    try {
      // One schema at a time: one node's announcement holds at most one job in the worker's queue.
      for (const capability of announced) {
        const validateInput = await this.schemas.acquire(capability.inputSchemaJson, `the input schema of ${capability.id}`, { signal });
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
      if (this.newest.get(deviceId) !== mine) {
        throw new PalyraError('PALYRA_E_CANCELLED', `a newer announcement of node ${deviceId} replaced this one (or the node was removed)`);
      }
    } catch (error) {
      if (this.newest.get(deviceId) === mine) this.newest.delete(deviceId);
      this.release(capabilities);
      throw error;
    }
    this.newest.delete(deviceId);
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
    this.newest.delete(deviceId);
    this.release(this.byNode.get(deviceId));
    this.byNode.delete(deviceId);
  }

  private release(capabilities: Map<string, KnownCapability> | undefined): void {
    for (const capability of capabilities?.values() ?? []) this.schemas.release(capability.inputSchemaJson);
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
