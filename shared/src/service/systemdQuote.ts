import { PalyraError } from '../errors/index.js';

// systemd's unit syntax: words split on whitespace, "..." quoting with C escapes, `%` starts a
// specifier everywhere and `$` an environment expansion in Exec lines. A path from the host
// (a Node install under a directory with a space or a `%`) must survive all three.

const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

function assertPrintable(value: string, what: string): void {
  // A newline would end the directive and start another one of the caller's choosing.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new PalyraError('PALYRA_E_USAGE', `${what} contains a control character, which a systemd unit cannot carry: ${JSON.stringify(value)}`);
  }
}

function quoteWord(escaped: string): string {
  if (escaped !== '' && PLAIN.test(escaped)) return escaped;
  return `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** One argument of an Exec line: literal `%` and `$`, quoted when needed. */
export function quoteExecArg(value: string, what = 'an ExecStart argument'): string {
  assertPrintable(value, what);
  return quoteWord(value.replaceAll('%', '%%').replaceAll('$', '$$$$'));
}

/**
 * The executable of an Exec line: systemd expands no `$` there, and refuses quotes and
 * backslashes in it outright ("Executable name contains special characters"), so such a path
 * is an error here rather than a unit that never starts.
 */
export function quoteExecutable(value: string): string {
  assertPrintable(value, 'the executable');
  if (/["'\\]/.test(value)) {
    throw new PalyraError('PALYRA_E_USAGE', `systemd cannot start an executable whose path holds a quote or a backslash: ${JSON.stringify(value)} (install Node elsewhere)`);
  }
  return quoteWord(value.replaceAll('%', '%%'));
}

/**
 * One `Environment=` assignment. `literal` values get `%` doubled; the plan's own values may
 * use specifiers on purpose (`%S/palyra-node`) and pass `literal: false`.
 */
export function quoteEnvironment(name: string, value: string, literal: boolean): string {
  assertPrintable(value, `the value of ${name}`);
  return quoteWord(`${name}=${literal ? value.replaceAll('%', '%%') : value}`);
}
