import { fileURLToPath } from 'node:url';
import type {
  AdminServiceClient,
  AdminServiceDefinition,
  NodeServiceClient,
  NodeServiceDefinition,
  PairingServiceClient,
  PairingServiceDefinition,
} from './generated/index.js';
import { buildServiceClient, type PalyraServiceConstructor } from './services.js';

/** Directory holding palyra/v1/*.proto (shipped with the package). */
export const PROTO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The services of the palyra.v1 package: grpc-js client classes, each with its `service`. */
export interface PalyraServices {
  AdminService: PalyraServiceConstructor<AdminServiceClient, AdminServiceDefinition>;
  NodeService: PalyraServiceConstructor<NodeServiceClient, NodeServiceDefinition>;
  PairingService: PalyraServiceConstructor<PairingServiceClient, PairingServiceDefinition>;
}

let loaded: PalyraServices | undefined;

/**
 * Loads the palyra.v1 services once per process, from the descriptor generated at build time
 * (proto/src/generated/descriptor.ts): no .proto file is parsed at run time.
 */
export function loadPalyraProto(): PalyraServices {
  // The casts give the untyped grpc-js classes the generated client and definition types,
  // which describe the codecs built from the same descriptor.
  loaded ??= {
    AdminService: buildServiceClient('AdminService') as unknown as PalyraServices['AdminService'],
    NodeService: buildServiceClient('NodeService') as unknown as PalyraServices['NodeService'],
    PairingService: buildServiceClient('PairingService') as unknown as PalyraServices['PairingService'],
  };
  return loaded;
}

export type * from './generated/index.js';
export { CONVERSION_OPTIONS, type PalyraServiceConstructor, type PalyraServiceName, type ServiceMethods } from './services.js';
export { ERROR_METADATA_KEY, fromServiceError, toServiceError } from './errors.js';
