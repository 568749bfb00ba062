export * from './errors/index.js';
export * from './config/index.js';
export * from './cli/index.js';
export * from './x509/index.js';
export * from './fs/index.js';
export * from './pairing/index.js';
export * from './plugins/index.js';
export * from './schema/index.js';
