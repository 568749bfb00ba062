import * as grpc from '@grpc/grpc-js';
// The light build has reflection and codecs but no .proto parser: the descriptor is data.
import protobuf from 'protobufjs/light.js';
import { PALYRA_DESCRIPTOR, PALYRA_SERVICES } from './generated/descriptor.js';

/**
 * How decoded messages become plain objects. These are @grpc/proto-loader's options that the
 * generated `__Output` types describe (keepCase: false is applied when the descriptor is
 * generated); they must match the flags in scripts/proto-gen.mjs and proto-descriptor.mjs.
 */
export const CONVERSION_OPTIONS: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

export type PalyraServiceName = keyof typeof PALYRA_SERVICES;

/**
 * A generated service definition without proto-loader's reflection fields (`requestType`,
 * `responseType`, `options`): grpc-js needs only the paths and codecs, and building the
 * reflection descriptors cost more than everything else a CLI command does.
 */
export type ServiceMethods<Definition> = {
  [Method in keyof Definition]: Omit<Definition[Method], 'requestType' | 'responseType' | 'options'>;
};

/** A client class of one service, as grpc-js's loadPackageDefinition makes them. */
export interface PalyraServiceConstructor<Client, Definition> {
  new (...args: ConstructorParameters<typeof grpc.Client>): Client;
  service: ServiceMethods<Definition>;
  serviceName: string;
}

let root: protobuf.Root | undefined;

function palyraRoot(): protobuf.Root {
  if (root === undefined) {
    // The descriptor is protobuf.js's own toJSON() output; its INamespace typings disagree only
    // in details (they require a comment on every method and lack map fields' keyType).
    root = protobuf.Root.fromJSON(PALYRA_DESCRIPTOR as unknown as protobuf.INamespace);
    root.resolveAll();
  }
  return root;
}

// Serializers and deserializers as @grpc/proto-loader writes them, so the wire bytes and the
// decoded objects are the ones it produced.
function serializer(type: protobuf.Type): grpc.serialize<object> {
  return (value) => {
    if (Array.isArray(value)) {
      throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    }
    // Under Node protobuf.js writes with its BufferWriter: finish() returns a Buffer.
    return type.encode(type.fromObject(value)).finish() as Buffer;
  };
}

function deserializer(type: protobuf.Type): grpc.deserialize<object> {
  return (bytes) => type.toObject(type.decode(bytes), CONVERSION_OPTIONS);
}

/** Builds the grpc-js client class (with its `service` definition) of one palyra.v1 service. */
export function buildServiceClient(name: PalyraServiceName): grpc.ServiceClientConstructor {
  const types = palyraRoot();
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const [methodName, method] of Object.entries(PALYRA_SERVICES[name].methods)) {
    const request = types.lookupType(method.requestType);
    const response = types.lookupType(method.responseType);
    definition[methodName] = {
      path: method.path,
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      originalName: method.originalName,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
    };
  }
  return grpc.makeClientConstructor(definition, name);
}
