export { exportRuntimeState, readRuntimeState, serializeRuntimeState } from './exportRuntimeState.js';
export { heldRecords, importRuntimeState, SEED_IMPORT_KEY, sha256Hex, type ImportedCounts } from './importRuntimeState.js';
export { importSeedFileOnce, type SeedImport } from './importSeedFileOnce.js';
