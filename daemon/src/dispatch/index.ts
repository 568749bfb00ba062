export { Dispatch } from './Dispatch.js';
export { DispatchCoordinator, type DispatchCoordinatorOptions } from './DispatchCoordinator.js';
export { NodeCapabilities, type KnownCapability } from './NodeCapabilities.js';
export { SchemaWorker, type SchemaWorkerOptions, type ValidateInput } from './SchemaWorker.js';
export * from './types.js';
