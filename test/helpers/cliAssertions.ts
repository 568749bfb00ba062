import { expect } from 'vitest';
import type { CommandResult } from './processes.js';

/**
 * The CLI contract for failures: a non-zero exit and exactly one stderr line
 * `error <code>: <message>`. Returns the message. A one-shot command prints nothing else on
 * stderr; a long-running one (`palyra-node run`) may have logged before it failed
 * (`{ logs: true }`), but its last stderr line is the error and it is the only error line.
 */
export function expectErrorLine(result: CommandResult, code: string, exitCode?: number, { logs = false } = {}): string {
  const context = `stdout=${JSON.stringify(result.stdout)} stderr=${JSON.stringify(result.stderr)}`;
  expect(result.code, `expected a non-zero exit with ${code}: ${context}`).not.toBe(0);
  expect(result.code, `exit status (${context})`).not.toBeNull();
  if (exitCode !== undefined) expect(result.code, `exit status of ${code} (${context})`).toBe(exitCode);
  const all = result.stderr.split('\n').filter((line) => line !== '');
  const lines = logs ? all.filter((line) => line.startsWith('error ')) : all;
  expect(lines, `stderr must have one error line: ${context}`).toHaveLength(1);
  if (logs) expect(all.at(-1), `the error is the last stderr line: ${context}`).toBe(lines[0]);
  const match = /^error (PALYRA_E_[A-Z_]+): (.+)$/.exec(lines[0] ?? '');
  expect(match, `stderr must read "error ${code}: ...": ${context}`).not.toBeNull();
  expect(match?.[1], `error code (${context})`).toBe(code);
  return match?.[2] ?? '';
}

/** The CLI contract for `--json`: exit 0 and exactly one JSON document on stdout. */
export function parseOneJson<T>(result: CommandResult): T {
  const context = `exit ${result.code}, stdout=${JSON.stringify(result.stdout)} stderr=${JSON.stringify(result.stderr)}`;
  expect(result.code, context).toBe(0);
  let value: unknown;
  // JSON.parse refuses anything after the first document, so success means exactly one.
  expect(() => {
    value = JSON.parse(result.stdout);
  }, `stdout must be one JSON document: ${context}`).not.toThrow();
  expect(result.stdout.endsWith('\n'), `stdout ends with a newline: ${context}`).toBe(true);
  return value as T;
}
