import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as AdminProto } from './generated/admin.js';
import type { ProtoGrpcType as NodeProto } from './generated/node.js';
import type { ProtoGrpcType as PairingProto } from './generated/pairing.js';

/** Directory holding palyra/v1/*.proto (shipped with the package). */
export const PROTO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Loader options. They must match the flags in scripts/proto-gen.mjs, or the generated
 * types would lie about the runtime shapes.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

type PalyraPackage = AdminProto['palyra']['v1'] & NodeProto['palyra']['v1'] & PairingProto['palyra']['v1'];

let loaded: PalyraPackage | undefined;

/** Loads the palyra.v1 package once per process. */
export function loadPalyraProto(): PalyraPackage {
  if (loaded === undefined) {
    const definition = protoLoader.loadSync(
      ['palyra/v1/admin.proto', 'palyra/v1/node.proto', 'palyra/v1/pairing.proto'],
      LOADER_OPTIONS,
    );
    const root = grpc.loadPackageDefinition(definition) as unknown as { palyra: { v1: PalyraPackage } };
    loaded = root.palyra.v1;
  }
  return loaded;
}

export type * from './generated/index.js';
export { ERROR_METADATA_KEY, fromServiceError, toServiceError } from './errors.js';
