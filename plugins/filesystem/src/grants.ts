import { isAbsolute, resolve } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import type { JsonSchema } from '@palyra/shared/plugins';

/** The permissions a node's config grants the filesystem plugin. */
export interface FsGrants {
  /** Absolute directories the plugin may touch. None granted: every path is refused. */
  roots?: string[];
  /** Allows fs.write and fs.remove. Default false. */
  write?: boolean;
  /** Largest read returned in one call, in bytes. Default 8 MiB. */
  maxReadBytes?: number;
  /** Largest content accepted by one fs.write, in bytes. Default 8 MiB. */
  maxWriteBytes?: number;
}

/** Grants with defaults applied and roots normalised. */
export interface EffectiveGrants {
  readonly roots: readonly string[];
  readonly write: boolean;
  readonly maxReadBytes: number;
  readonly maxWriteBytes: number;
}

export const DEFAULT_MAX_READ_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_WRITE_BYTES = 8 * 1024 * 1024;
/** Upper bound an operator may configure: the content travels as one JSON string. */
export const MAX_CONFIGURABLE_BYTES = 256 * 1024 * 1024;

export const GRANTS_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    roots: { type: 'array', items: { type: 'string', minLength: 1 } },
    write: { type: 'boolean' },
    maxReadBytes: { type: 'integer', minimum: 0, maximum: MAX_CONFIGURABLE_BYTES },
    maxWriteBytes: { type: 'integer', minimum: 0, maximum: MAX_CONFIGURABLE_BYTES },
  },
};

/**
 * Applies defaults. A relative root is a configuration mistake, not something to resolve
 * against whatever directory the agent happens to run in.
 */
export function effectiveGrants(grants: FsGrants | undefined): EffectiveGrants {
  const roots = grants?.roots ?? [];
  for (const root of roots) {
    if (!isAbsolute(root) || root.includes('\0')) {
      throw new PalyraError('PALYRA_E_CONFIG_INVALID', `filesystem grants: root ${JSON.stringify(root)} must be an absolute path`, {
        details: { root },
      });
    }
  }
  return {
    roots: roots.map((root) => resolve(root)),
    write: grants?.write === true,
    maxReadBytes: grants?.maxReadBytes ?? DEFAULT_MAX_READ_BYTES,
    maxWriteBytes: grants?.maxWriteBytes ?? DEFAULT_MAX_WRITE_BYTES,
  };
}

/** fs.write and fs.remove need `write: true`. */
export function requireWrite(grants: EffectiveGrants, capabilityId: string, path: string): void {
  if (!grants.write) {
    throw new PalyraError(
      'PALYRA_E_CAPABILITY_DENIED',
      `${capabilityId} ${JSON.stringify(path)} refused: the filesystem grants do not include write: true`,
      { details: { path, capability: capabilityId } },
    );
  }
}
