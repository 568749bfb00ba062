/**
 * Node selectors (`--nodes` of tokens, `nodes list -l`, fan-out): a comma-separated AND of
 * requirements over a node's labels and its built-in fields, in the spirit of Kubernetes label
 * selectors:
 *
 *   key=value  key==value  key!=value  key in (a,b)  key notin (a,b)  key  !key
 *
 * Built-in fields (they win over labels of the same name): `name`, `deviceId`, `platform`,
 * `status` (online or offline) and `capability`, which is many-valued: `capability=fs.read`
 * holds when the node has fs.read, `capability in (a,b)` when it has one of them,
 * `capability!=x` / `notin` when it has none of them, `capability` when it has any.
 *
 * The empty selector matches every node. A parse error is PALYRA_E_SELECTOR_INVALID whose
 * message points at the offending character (its column and a caret line); details.column is
 * 1-based. docs/cli.md's "Selectors" section documents this grammar.
 */
import { PalyraError } from '../errors/index.js';

export type SelectorOperator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!exists';

export interface SelectorRequirement {
  key: string;
  operator: SelectorOperator;
  /** One value for = and !=, one or more for in and notin, none for exists and !exists. */
  values: string[];
}

export interface NodeSelector {
  requirements: SelectorRequirement[];
}

/** What a selector is matched against. Built-in fields win over labels of the same name. */
export interface SelectorSubject {
  name: string;
  deviceId: string;
  platform: string;
  /** The merged labels (operator over node). */
  labels?: Readonly<Record<string, string>>;
  /** online or offline; absent where the caller does not know it (then `status` is a missing key). */
  status?: string;
  /** Capability ids the node has (`capability`). */
  capabilities?: readonly string[];
}

/** The fields every node has; other keys are labels. */
export const SELECTOR_FIELDS = ['name', 'deviceId', 'platform', 'status', 'capability'] as const;

const SINGLE_FIELDS = ['name', 'deviceId', 'platform', 'status'] as const;

/** Bounds: a selector is typed by an operator or stored with a token. */
export const MAX_SELECTOR_LENGTH = 4096;

const KEY_CHAR = /[A-Za-z0-9._/-]/;
const VALUE_CHAR = /[A-Za-z0-9._:@-]/;

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  fail(message: string, at = this.pos): never {
    const column = at + 1;
    // The selector is an operator's input, not a secret: show it with a caret under the character.
    // Only a window around that character: the input may be far past the bound (a remote
    // caller's megabyte echoed back in the status trailers broke the answer itself).
    const from = Math.max(0, at - 40);
    const to = Math.min(this.text.length, at + 40);
    const lead = from > 0 ? '…' : '';
    const shown = `${lead}${this.text.slice(from, to)}${to < this.text.length ? '…' : ''}`.replace(/[^\x20-\x7e…]/g, '?');
    throw new PalyraError('PALYRA_E_SELECTOR_INVALID', `node selector: ${message} at column ${column}\n  ${shown}\n  ${' '.repeat(at - from + lead.length)}^`, {
      details: { reason: 'selector-invalid', column },
    });
  }

  private spaces(): void {
    while (this.text.charAt(this.pos) === ' ' || this.text.charAt(this.pos) === '\t') this.pos++;
  }

  private peek(): string {
    return this.text.charAt(this.pos);
  }

  private word(pattern: RegExp): string {
    const start = this.pos;
    while (this.pos < this.text.length && pattern.test(this.text.charAt(this.pos))) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private key(): string {
    const key = this.word(KEY_CHAR);
    if (key === '') this.fail(this.pos >= this.text.length ? 'expected a key (a label, or name, deviceId, platform, status, capability) but the selector ended' : `expected a key, found "${this.peek()}"`);
    if (!/^[A-Za-z0-9]/.test(key) || !/[A-Za-z0-9]$/.test(key)) this.fail(`a key starts and ends with a letter or digit: "${key}"`, this.pos - key.length);
    if (key.length > 253) this.fail('a key is at most 253 characters', this.pos - key.length);
    return key;
  }

  private value(): string {
    const value = this.word(VALUE_CHAR);
    if (value.length > 253) this.fail('a value is at most 253 characters', this.pos - value.length);
    return value;
  }

  private valueList(): string[] {
    this.spaces();
    if (this.peek() !== '(') this.fail(`expected "(" to open the list of values`);
    this.pos++;
    const values: string[] = [];
    for (;;) {
      this.spaces();
      const start = this.pos;
      const value = this.value();
      if (value === '') this.fail(this.pos >= this.text.length ? 'expected a value but the selector ended' : `expected a value, found "${this.peek()}"`, start);
      values.push(value);
      this.spaces();
      const next = this.peek();
      this.pos++;
      if (next === ')') return values;
      if (next !== ',') this.fail(next === '' ? 'expected "," or ")" but the selector ended' : `expected "," or ")", found "${next}"`, this.pos - 1);
    }
  }

  private requirement(): SelectorRequirement {
    this.spaces();
    if (this.peek() === '!') {
      this.pos++;
      this.spaces();
      return { key: this.key(), operator: '!exists', values: [] };
    }
    const key = this.key();
    this.spaces();
    const rest = this.text.slice(this.pos);
    if (rest.startsWith('==') || rest.startsWith('!=') || rest.startsWith('=')) {
      const operator = rest.startsWith('!=') ? '!=' : '=';
      this.pos += rest.startsWith('=') && !rest.startsWith('==') ? 1 : 2;
      this.spaces();
      const start = this.pos;
      const value = this.value();
      if (value === '' && this.pos < this.text.length && this.peek() !== ',') this.fail(`"${this.peek()}" cannot be part of a value (letters, digits and . _ - : @)`, start);
      return { key, operator, values: [value] };
    }
    const keyword = /^(notin|in)(?=[\s(])/.exec(rest)?.[1];
    if (keyword !== undefined) {
      this.pos += keyword.length;
      return { key, operator: keyword as 'in' | 'notin', values: this.valueList() };
    }
    return { key, operator: 'exists', values: [] };
  }

  parse(): NodeSelector {
    if (this.text.length > MAX_SELECTOR_LENGTH) this.fail(`a selector is at most ${MAX_SELECTOR_LENGTH} characters`, MAX_SELECTOR_LENGTH);
    this.spaces();
    if (this.pos >= this.text.length) return { requirements: [] };
    const requirements: SelectorRequirement[] = [];
    for (;;) {
      requirements.push(this.requirement());
      this.spaces();
      if (this.pos >= this.text.length) return { requirements };
      if (this.peek() !== ',') this.fail(`expected "," between requirements, found "${this.peek()}"`);
      this.pos++;
      this.spaces();
      if (this.pos >= this.text.length) this.fail('expected a requirement after ","');
    }
  }
}

/** Parses a selector; "" (or only spaces) is the selector of every node. */
export function parseSelector(text: string): NodeSelector {
  return new Parser(text).parse();
}

/** The canonical text of a selector: `parseSelector(formatSelector(s))` equals `s`. */
export function formatSelector(selector: NodeSelector): string {
  return selector.requirements
    .map(({ key, operator, values }) => {
      switch (operator) {
        case 'exists':
          return key;
        case '!exists':
          return `!${key}`;
        case '=':
        case '!=':
          return `${key}${operator}${values[0] ?? ''}`;
        default:
          return `${key} ${operator} (${values.join(',')})`;
      }
    })
    .join(',');
}

/** The canonical form of a selector's text (throws as parseSelector does). */
export function normalizeSelector(text: string): string {
  return formatSelector(parseSelector(text));
}

function fieldOf(subject: SelectorSubject, key: string): string | undefined {
  if ((SINGLE_FIELDS as readonly string[]).includes(key)) return subject[key as (typeof SINGLE_FIELDS)[number]];
  const labels = subject.labels ?? {};
  return Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : undefined;
}

/** `capability` holds many values: = and in ask for one of them, != and notin for none. */
function matchesCapability(capabilities: readonly string[], operator: SelectorOperator, values: readonly string[]): boolean {
  switch (operator) {
    case 'exists':
      return capabilities.length > 0;
    case '!exists':
      return capabilities.length === 0;
    case '=':
    case 'in':
      return values.some((v) => capabilities.includes(v));
    case '!=':
    case 'notin':
      return !values.some((v) => capabilities.includes(v));
  }
}

/** Whether a node matches every requirement. A missing key fails =, in and exists; it passes !=, notin and !exists. */
export function matchesSelector(selector: NodeSelector, subject: SelectorSubject): boolean {
  return selector.requirements.every(({ key, operator, values }) => {
    if (key === 'capability') return matchesCapability(subject.capabilities ?? [], operator, values);
    const value = fieldOf(subject, key);
    switch (operator) {
      case 'exists':
        return value !== undefined;
      case '!exists':
        return value === undefined;
      case '=':
        return value !== undefined && value === values[0];
      case '!=':
        return value === undefined || value !== values[0];
      case 'in':
        return value !== undefined && values.includes(value);
      case 'notin':
        return value === undefined || !values.includes(value);
    }
  });
}
