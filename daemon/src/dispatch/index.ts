export { Dispatch } from './Dispatch.js';
export { DispatchCoordinator, type DispatchCoordinatorOptions, type Submitted } from './DispatchCoordinator.js';
export { DispatchJournal, DEFAULT_JOURNAL_RETENTION, MAX_JOURNAL_RESULT_BYTES, type JournalRetention } from './DispatchJournal.js';
export { NodeCapabilities, type KnownCapability } from './NodeCapabilities.js';
export { SchemaWorker, type SchemaWorkerOptions, type ValidateInput } from './SchemaWorker.js';
export * from './types.js';
