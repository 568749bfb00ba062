/** Schema fragments shared by the capabilities' input and output schemas. */

export const PATH_SCHEMA = { type: 'string', minLength: 1, maxLength: 4096 } as const;

export const ENCODING_SCHEMA = { type: 'string', enum: ['utf8', 'base64'] } as const;

export const ENTRY_TYPE_SCHEMA = { type: 'string', enum: ['file', 'directory', 'symlink', 'other'] } as const;

export const BYTE_COUNT_SCHEMA = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

/** Date.prototype.toISOString output. */
export const TIMESTAMP_SCHEMA = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$' } as const;
