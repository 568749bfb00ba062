import { compileUntrustedSchema, type Validate } from '@palyra/shared/schema';

interface Entry {
  validate: Validate;
  users: number;
}

/**
 * Compiled input validators shared by every node that announces the same schema text.
 * Thousands of nodes run the same plugins: compiling each node's copy cost several KiB of
 * generated code per node and capability. An entry lives while some node uses it.
 *
 * The schemas come from nodes: they are compiled as untrusted (RE2 for every regex, bounded
 * size, no recursive $ref), so that no input can hold the event loop while it is validated.
 */
export class SharedValidators {
  private readonly byText = new Map<string, Entry>();

  /** The validator for `schemaText` (compiled once), counted as used until release(). */
  acquire(schemaText: string, compile: () => Record<string, unknown>, what: string): Validate {
    const existing = this.byText.get(schemaText);
    if (existing !== undefined) {
      existing.users += 1;
      return existing.validate;
    }
    const validate = compileUntrustedSchema(compile(), what);
    this.byText.set(schemaText, { validate, users: 1 });
    return validate;
  }

  release(schemaText: string): void {
    const entry = this.byText.get(schemaText);
    if (entry === undefined) return;
    entry.users -= 1;
    if (entry.users <= 0) this.byText.delete(schemaText);
  }

  /** Distinct schemas held. */
  get size(): number {
    return this.byText.size;
  }
}
