/**
 * Node labels: Kubernetes label syntax and limits. One implementation for the agent's config,
 * the daemon's RegisterNode handling (a node's labels are attacker-controlled) and the
 * operator's `nodes label`.
 *
 *   key   = [prefix "/"] name     prefix: a DNS subdomain of at most 253 characters
 *                                  name: at most 63 of [A-Za-z0-9] at the ends, [-_.A-Za-z0-9] inside
 *   value = "" or at most 63 characters, the same charset as a name
 *
 * At most MAX_LABELS labels per node (each of node and operator labels). An invalid one is
 * PALYRA_E_LABEL_INVALID naming the key (details.key), shown through displayText by callers.
 */
import { PalyraError } from '../errors/index.js';

export const MAX_LABELS = 64;
export const MAX_LABEL_NAME = 63;
export const MAX_LABEL_PREFIX = 253;
export const MAX_LABEL_VALUE = 63;

const NAME_RE = /^[A-Za-z0-9]([-_.A-Za-z0-9]*[A-Za-z0-9])?$/;
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A key shown in an error: bounded and only printable ASCII (it may come from a node). */
function shown(key: string): string {
  const clipped = key.length > 80 ? `${key.slice(0, 80)}…` : key;
  return JSON.stringify(clipped).replace(/[^\x20-\x7e]/g, '?');
}

function invalid(key: string, why: string): PalyraError {
  return new PalyraError('PALYRA_E_LABEL_INVALID', `label ${shown(key)}: ${why}`, { details: { key: key.slice(0, 317) } });
}

/** Why `key` is not a label key, or undefined when it is one. */
export function labelKeyProblem(key: string): string | undefined {
  if (key === '') return 'a key may not be empty';
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined) {
    if (prefix === '') return 'the prefix before "/" may not be empty';
    if (prefix.length > MAX_LABEL_PREFIX) return `the prefix is at most ${MAX_LABEL_PREFIX} characters`;
    if (!prefix.split('.').every((part) => part.length <= 63 && DNS_LABEL_RE.test(part))) {
      return 'the prefix must be a DNS subdomain (lower-case letters, digits, "-" and ".", like example.com)';
    }
  }
  if (name === '') return 'the name may not be empty';
  if (name.length > MAX_LABEL_NAME) return `the name is at most ${MAX_LABEL_NAME} characters`;
  if (!NAME_RE.test(name)) return 'the name is letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
  return undefined;
}

/** Why `value` is not a label value, or undefined when it is one. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > MAX_LABEL_VALUE) return `a value is at most ${MAX_LABEL_VALUE} characters`;
  if (!NAME_RE.test(value)) return 'a value is empty, or letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
  return undefined;
}

export function assertLabelKey(key: string): void {
  const problem = labelKeyProblem(key);
  if (problem !== undefined) throw invalid(key, problem);
}

export function assertLabel(key: string, value: string): void {
  assertLabelKey(key);
  const problem = labelValueProblem(value);
  if (problem !== undefined) throw invalid(key, problem);
}

/**
 * Validates a set of labels and returns a plain copy (no prototype tricks: keys like
 * `__proto__` are refused by the syntax anyway). Throws PALYRA_E_LABEL_INVALID.
 */
export function validateLabels(labels: Readonly<Record<string, unknown>>, { max = MAX_LABELS }: { max?: number } = {}): Record<string, string> {
  const entries = Object.entries(labels);
  if (entries.length > max) {
    throw new PalyraError('PALYRA_E_LABEL_INVALID', `at most ${max} labels per node, got ${entries.length}`, { details: { key: '', count: entries.length } });
  }
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of entries) {
    if (typeof value !== 'string') throw invalid(key, 'a value is a string');
    assertLabel(key, value);
    out[key] = value;
  }
  return { ...out };
}

/** A label change as typed: `k=v` sets, `k-` removes. */
export interface LabelChange {
  set: Record<string, string>;
  remove: string[];
}

/** Parses `k=v` and `k-` arguments (`nodes label`); validates every key and value. */
export function parseLabelArguments(args: readonly string[]): LabelChange {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq >= 0) {
      const key = arg.slice(0, eq);
      assertLabel(key, arg.slice(eq + 1));
      set[key] = arg.slice(eq + 1);
    } else if (arg.endsWith('-')) {
      const key = arg.slice(0, -1);
      assertLabelKey(key);
      remove.push(key);
    } else {
      throw invalid(arg, 'expected key=value to set a label or key- to remove one');
    }
  }
  for (const key of remove) {
    if (Object.prototype.hasOwnProperty.call(set, key)) throw invalid(key, 'both set and removed');
  }
  return { set, remove };
}

/** The labels a node is shown with: operator labels take precedence over the node's own. */
export function mergeLabels(node: Readonly<Record<string, string>>, operator: Readonly<Record<string, string>>): Record<string, string> {
  return { ...node, ...operator };
}
