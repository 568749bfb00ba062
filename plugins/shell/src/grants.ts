import { isAbsolute, normalize } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import type { JsonSchema } from '@palyra/shared/plugins';
import { compileSchema } from '@palyra/shared/schema';
import { ENV_NAME_PATTERN, NO_NUL_PATTERN } from './patterns.js';

/** What the node's config may grant the shell plugin (`{ use: 'shell', grants: {...} }`). */
export interface ShellGrants {
  /** Programs shell.exec may run: bare names (resolved on the agent's PATH) or absolute paths. */
  commands?: string[];
  /** Directories a command may start in. Absent: `cwd` is refused and each run gets a fresh private temp dir. */
  roots?: string[];
  /** Environment variable names the caller may set or that pass through from the agent. */
  env?: string[];
  /** Allows `shell: true` (run `command` with /bin/sh -c). Any program can then run. */
  allowShell?: boolean;
  /** Bytes kept and streamed per stream (stdout, stderr). Default 1 MiB. */
  maxOutputBytes?: number;
  /** Longest run allowed, and the default when the input gives none. Default 5 minutes. */
  timeoutMs?: number;
}

/** Grants with their defaults applied. */
export interface ResolvedGrants {
  readonly commands: readonly string[];
  readonly roots: readonly string[];
  readonly env: ReadonlySet<string>;
  readonly allowShell: boolean;
  readonly maxOutputBytes: number;
  readonly timeoutMs: number;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 5 * 60 * 1000;
export const MAX_OUTPUT_BYTES_LIMIT = 64 * 1024 * 1024;
export const MAX_TIMEOUT_MS_LIMIT = 24 * 60 * 60 * 1000;

export const SHELL_GRANTS_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    commands: { type: 'array', items: { type: 'string', minLength: 1, pattern: NO_NUL_PATTERN } },
    roots: { type: 'array', items: { type: 'string', minLength: 1, pattern: NO_NUL_PATTERN } },
    env: { type: 'array', items: { type: 'string', pattern: ENV_NAME_PATTERN } },
    allowShell: { type: 'boolean' },
    maxOutputBytes: { type: 'integer', minimum: 0, maximum: MAX_OUTPUT_BYTES_LIMIT },
    timeoutMs: { type: 'integer', minimum: 1, maximum: MAX_TIMEOUT_MS_LIMIT },
  },
};

const validateGrants = compileSchema(SHELL_GRANTS_SCHEMA, 'the shell plugin grants schema');

/**
 * Checks the grants (the host validates them too; this keeps the plugin safe on its own) and
 * applies the defaults. Absent grants deny everything: no commands, no shell.
 */
export function resolveGrants(grants: unknown): ResolvedGrants {
  const value = grants ?? {};
  const problems = validateGrants(value);
  if (problems.length > 0) {
    throw new PalyraError('PALYRA_E_CONFIG_INVALID', `shell plugin grants: ${problems.join('; ')} (see docs/plugins/shell.md)`);
  }
  const g = value as ShellGrants;
  const commands = (g.commands ?? []).map((entry) => {
    if (isAbsolute(entry)) return normalize(entry);
    if (entry.includes('/') || entry.includes('\\') || entry === '.' || entry === '..') {
      throw new PalyraError(
        'PALYRA_E_CONFIG_INVALID',
        `shell plugin grants.commands: "${entry}" must be a bare program name (resolved on PATH) or an absolute path`,
      );
    }
    return entry;
  });
  const roots = (g.roots ?? []).map((root) => {
    if (!isAbsolute(root)) {
      throw new PalyraError('PALYRA_E_CONFIG_INVALID', `shell plugin grants.roots: "${root}" must be an absolute path`);
    }
    return normalize(root);
  });
  return {
    commands,
    roots,
    env: new Set(g.env ?? []),
    allowShell: g.allowShell === true,
    maxOutputBytes: g.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
    timeoutMs: g.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}
