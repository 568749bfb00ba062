/**
 * What a JSON Schema from a peer (a node's capability announcement) must satisfy before the
 * daemon compiles it: validating any input against it must take time linear in the input,
 * with a constant bounded here.
 *
 * - every regex (`pattern`, `patternProperties`) runs on RE2 (see linearRegExp.ts);
 * - `$ref` only to a place in the same document (`#`, `#/...`), never in a cycle: a
 *   recursive schema with two references on one path is evaluated 2^depth times on nested
 *   input. With acyclic references the schema is a tree once references are inlined, and its
 *   inlined size is bounded (`maxExpandedKeywords`), so each input value meets at most that
 *   many keywords;
 * - `uniqueItems` only over items of scalar types: ajv compares objects and arrays pairwise
 *   (quadratic), scalars through a map;
 * - bounded depth and keyword count, so the walk and ajv's compilation are bounded too.
 */
import { displayText } from '../text/index.js';
import { compileLinearRegExp, UnsupportedPatternError } from './linearRegExp.js';

export const UNTRUSTED_SCHEMA_LIMITS = {
  maxDepth: 32,
  /** Keywords in the document as written. */
  maxKeywords: 2000,
  /** Keywords with every `$ref` inlined: what one input value can be checked against. */
  maxExpandedKeywords: 4000,
  maxPatterns: 64,
} as const;

export class UntrustedSchemaError extends Error {
  constructor(
    /** JSON pointer of the offending keyword. */
    readonly pointer: string,
    readonly problem: string,
  ) {
    super(`${pointer === '' ? '(root)' : pointer}: ${problem}`);
    this.name = 'UntrustedSchemaError';
  }
}

/** Keywords whose value is one subschema. */
const SCHEMA_KEYWORDS = [
  'additionalItems', 'additionalProperties', 'contains', 'propertyNames', 'not', 'if', 'then', 'else',
  'unevaluatedItems', 'unevaluatedProperties', 'items',
];
/** Keywords whose value is a list of subschemas. */
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items'];
/** Keywords whose value maps names to subschemas. */
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas', 'dependencies'];
const REFERENCE_KEYWORDS = ['$dynamicRef', '$recursiveRef', '$dynamicAnchor', '$recursiveAnchor', '$anchor'];
const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const escapeToken = (token: string): string => token.replaceAll('~', '~0').replaceAll('/', '~1');

/** Throws UntrustedSchemaError naming the first keyword that breaks a rule above. */
export function checkUntrustedSchema(root: unknown): void {
  if (!isObject(root) && typeof root !== 'boolean') throw new UntrustedSchemaError('', 'a schema must be an object or a boolean');
  const walk = new Walk(root);
  walk.expandedSize(root, '', 0);
}

class Walk {
  private keywords = 0;
  private patterns = 0;
  /** Inlined keyword count of each schema node visited, by object identity. */
  private readonly sizes = new Map<object, number>();
  /** Schemas on the current path of `$ref` resolution (a cycle brings us back to one). */
  private readonly resolving = new Set<object>();

  constructor(private readonly root: Json | boolean) {}

  /** Keywords of `schema` with references inlined; checks each keyword on the way. */
  expandedSize(schema: unknown, pointer: string, depth: number): number {
    if (typeof schema === 'boolean') return 1;
    if (!isObject(schema)) throw new UntrustedSchemaError(pointer, 'a schema must be an object or a boolean');
    const known = this.sizes.get(schema);
    if (known !== undefined) return known;
    if (depth > UNTRUSTED_SCHEMA_LIMITS.maxDepth) {
      throw new UntrustedSchemaError(pointer, `nested deeper than ${UNTRUSTED_SCHEMA_LIMITS.maxDepth} levels`);
    }
    if (this.resolving.has(schema)) throw new UntrustedSchemaError(pointer, 'a recursive $ref (a cycle of references) is not accepted');
    this.resolving.add(schema);
    const keys = Object.keys(schema);
    this.keywords += keys.length;
    if (this.keywords > UNTRUSTED_SCHEMA_LIMITS.maxKeywords) {
      throw new UntrustedSchemaError(pointer, `the schema has more than ${UNTRUSTED_SCHEMA_LIMITS.maxKeywords} keywords`);
    }
    let size = keys.length;
    const at = (key: string): string => `${pointer}/${escapeToken(key)}`;
    for (const key of keys) {
      const value = schema[key];
      if (REFERENCE_KEYWORDS.includes(key)) throw new UntrustedSchemaError(at(key), `${key} is not accepted: use $ref to #/...`);
      if (key === '$id' && pointer !== '') throw new UntrustedSchemaError(at(key), '$id is accepted on the root schema only');
      if (key === '$ref') size += this.referenceSize(value, at(key), depth);
      if (key === 'pattern' && typeof value === 'string') this.pattern(value, at(key));
      if (key === 'patternProperties' && isObject(value)) for (const p of Object.keys(value)) this.pattern(p, at(key));
      if (key === 'uniqueItems' && value === true) this.uniqueItems(schema.items, at(key));
      if (SCHEMA_KEYWORDS.includes(key) && !Array.isArray(value)) size += this.expandedSize(value, at(key), depth + 1);
      if (SCHEMA_LIST_KEYWORDS.includes(key) && Array.isArray(value)) {
        value.forEach((item, i) => (size += this.expandedSize(item, `${at(key)}/${i}`, depth + 1)));
      }
      if (SCHEMA_MAP_KEYWORDS.includes(key) && isObject(value)) {
        for (const [name, item] of Object.entries(value)) {
          // draft-07 `dependencies` also takes lists of property names.
          if (key === 'dependencies' && Array.isArray(item)) continue;
          size += this.expandedSize(item, `${at(key)}/${escapeToken(name)}`, depth + 1);
        }
      }
      if (size > UNTRUSTED_SCHEMA_LIMITS.maxExpandedKeywords) {
        throw new UntrustedSchemaError(at(key), `with its $refs inlined the schema has more than ${UNTRUSTED_SCHEMA_LIMITS.maxExpandedKeywords} keywords`);
      }
    }
    this.resolving.delete(schema);
    this.sizes.set(schema, size);
    return size;
  }

  private referenceSize(ref: unknown, pointer: string, depth: number): number {
    if (typeof ref !== 'string' || !(ref === '#' || ref.startsWith('#/'))) {
      throw new UntrustedSchemaError(pointer, '$ref must point into the same schema (# or #/...)');
    }
    let target: unknown = this.root;
    for (const raw of ref.slice(2).split('/').filter((_, i) => ref !== '#' || i > 0)) {
      let token: string;
      try {
        token = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
      } catch {
        throw new UntrustedSchemaError(pointer, '$ref is not a valid JSON pointer');
      }
      target = Array.isArray(target) ? target[Number(token)] : isObject(target) && Object.hasOwn(target, token) ? target[token] : undefined;
      if (target === undefined) throw new UntrustedSchemaError(pointer, '$ref points to nothing in this schema');
    }
    return this.expandedSize(target, pointer, depth + 1);
  }

  private pattern(pattern: string, pointer: string): void {
    this.patterns += 1;
    if (this.patterns > UNTRUSTED_SCHEMA_LIMITS.maxPatterns) {
      throw new UntrustedSchemaError(pointer, `the schema has more than ${UNTRUSTED_SCHEMA_LIMITS.maxPatterns} patterns`);
    }
    try {
      compileLinearRegExp(pattern);
    } catch (error) {
      if (!(error instanceof UnsupportedPatternError)) throw error;
      throw new UntrustedSchemaError(pointer, `pattern ${quoted(pattern)} is refused: ${error.problem}`);
    }
  }

  private uniqueItems(items: unknown, pointer: string): void {
    const type = isObject(items) ? items.type : undefined;
    const types = typeof type === 'string' ? [type] : Array.isArray(type) ? type : [];
    if (types.length === 0 || !types.every((t) => typeof t === 'string' && SCALAR_TYPES.has(t))) {
      throw new UntrustedSchemaError(
        pointer,
        'uniqueItems is accepted only with items of scalar types (string, number, integer, boolean, null): comparing objects or arrays is quadratic',
      );
    }
  }
}

/** A pattern in a message: bounded, with controls and invisible characters escaped. */
function quoted(pattern: string): string {
  return `"${displayText(pattern.length > 64 ? `${pattern.slice(0, 64)}…` : pattern)}"`;
}
