/** Nesting deeper than this is refused: a node's schema is JSON, not a recursion bomb. */
export const MAX_JSON_DEPTH = 64;

/**
 * JSON text with object keys sorted at every level: equal values, equal texts, whatever order
 * a node wrote its keys in. Undefined for values that are not plain JSON or nest deeper than
 * MAX_JSON_DEPTH, or hold a `__proto__` key.
 */
export function canonicalJson(value: unknown): string | undefined {
  try {
    return write(value, 0);
  } catch {
    return undefined;
  }
}

function write(value: unknown, depth: number): string {
  if (depth > MAX_JSON_DEPTH) throw new Error('too deep');
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('not JSON');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => write(item, depth + 1)).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    // A `__proto__` key survives JSON.parse as an own property but turns into a prototype
    // change wherever a later step assigns it: refused, as no honest schema needs it.
    if (keys.includes('__proto__')) throw new Error('__proto__ key');
    return `{${keys.map((key) => `${JSON.stringify(key)}:${write(record[key], depth + 1)}`).join(',')}}`;
  }
  throw new Error('not JSON');
}
