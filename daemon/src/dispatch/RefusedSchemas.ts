import { createHash } from 'node:crypto';

/**
 * Schema texts the daemon gave up on because compiling them overran the schema worker's
 * deadline or crashed it, by SHA-256 of the text: announcing one again is refused at once,
 * so a node cannot have the worker killed and restarted in a loop with the same schema.
 * Bounded: beyond `max` texts the oldest is forgotten (32 bytes and a short reason each).
 */
export class RefusedSchemas {
  private readonly reasons = new Map<string, string>();

  constructor(private readonly max: number) {}

  /** Why the text was refused, or undefined. */
  reasonFor(schemaText: string): string | undefined {
    return this.reasons.get(digest(schemaText));
  }

  remember(schemaText: string, reason: string): void {
    const key = digest(schemaText);
    this.reasons.delete(key);
    this.reasons.set(key, reason);
    for (const oldest of this.reasons.keys()) {
      if (this.reasons.size <= this.max) break;
      this.reasons.delete(oldest);
    }
  }

  get size(): number {
    return this.reasons.size;
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}
