import type { JsonSchema } from '@palyra/shared/plugins';
import { ENV_NAME_PATTERN, NO_NUL_PATTERN } from './patterns.js';

/** Input of `shell.exec`. */
export interface ShellExecInput {
  /** A program name (resolved on the agent's PATH) or an absolute path; with `shell: true`, a shell string. */
  command: string;
  /** Arguments, passed as-is (no globbing, no expansion). With `shell: true` they are `$1`, `$2`, ... */
  args?: string[];
  /** Where the command starts: absolute, or relative to the first granted root. */
  cwd?: string;
  /** Variables to set; each name must be granted in `grants.env`. */
  env?: Record<string, string>;
  /** Written to the command's stdin, then closed. Absent: stdin is /dev/null. */
  stdin?: string;
  /** Kill the command after this long and return `timedOut: true`. At most `grants.timeoutMs`. */
  timeoutMs?: number;
  /** Run `command` with /bin/sh -c. Needs `grants.allowShell: true`. */
  shell?: boolean;
}

/** Output of `shell.exec`. A non-zero exit is a result, not an error. */
export interface ShellExecOutput {
  /** The exit status, or null when a signal ended the command. */
  exitCode: number | null;
  /** The signal that ended the command (`SIGTERM`, `SIGKILL`), or null. */
  signal: string | null;
  /** UTF-8 decoded, at most `grants.maxOutputBytes` bytes each. */
  stdout: string;
  stderr: string;
  /** True when stdout or stderr went over `grants.maxOutputBytes` and was cut. */
  truncated: boolean;
  /** True when the input's `timeoutMs` (or the granted maximum) ran out and the command was killed. */
  timedOut: boolean;
  durationMs: number;
}

export const SHELL_EXEC_INPUT_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['command'],
  properties: {
    command: { type: 'string', minLength: 1, pattern: NO_NUL_PATTERN },
    args: { type: 'array', items: { type: 'string', pattern: NO_NUL_PATTERN } },
    cwd: { type: 'string', minLength: 1, pattern: NO_NUL_PATTERN },
    env: {
      type: 'object',
      propertyNames: { pattern: ENV_NAME_PATTERN },
      additionalProperties: { type: 'string', pattern: NO_NUL_PATTERN },
    },
    stdin: { type: 'string' },
    timeoutMs: { type: 'integer', minimum: 1 },
    shell: { type: 'boolean' },
  },
};

export const SHELL_EXEC_OUTPUT_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['exitCode', 'signal', 'stdout', 'stderr', 'truncated', 'timedOut', 'durationMs'],
  properties: {
    exitCode: { type: ['integer', 'null'] },
    signal: { type: ['string', 'null'] },
    stdout: { type: 'string' },
    stderr: { type: 'string' },
    truncated: { type: 'boolean' },
    timedOut: { type: 'boolean' },
    durationMs: { type: 'number', minimum: 0 },
  },
};
