export { compileSchema, type Validate } from '@palyra/plugin-sdk/host';
export { compileUntrustedSchema } from './compileUntrustedSchema.js';
export { UNTRUSTED_SCHEMA_LIMITS } from './checkUntrustedSchema.js';
export { LINEAR_REGEXP_LIMITS, linearRegExpEngine } from './linearRegExp.js';
export { UNTRUSTED_SCHEMA_WORKER_URL, type UntrustedSchemaJob, type UntrustedSchemaReply } from './untrustedSchemaJobs.js';
