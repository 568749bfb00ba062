/** A string without NUL bytes: the OS cannot pass one in argv, env or a path. */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';

/** A portable environment variable name. */
export const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
