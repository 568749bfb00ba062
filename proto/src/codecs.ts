// The light build has reflection and codecs but no .proto parser: the descriptor is data.
import protobuf from 'protobufjs/light.js';
import { PALYRA_DESCRIPTOR } from './generated/descriptor.js';

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
function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    if (Array.isArray(value)) {
      throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    }
    // Under Node protobuf.js writes with its BufferWriter: finish() returns a Buffer.
    return type.encode(type.fromObject(value)).finish() as Buffer;
  };
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), CONVERSION_OPTIONS);
}

type MethodCodecs = ReturnType<typeof buildMethodCodecs>;
const codecsByTypes = new Map<string, MethodCodecs>();

/**
 * The four codecs of one method as grpc-js names them, from its descriptor entry; built once
 * per request/response pair (the unary client asks on every call).
 */
export function methodCodecs(method: { requestType: string; responseType: string }): MethodCodecs {
  const key = `${method.requestType} ${method.responseType}`;
  let codecs = codecsByTypes.get(key);
  if (codecs === undefined) {
    codecs = buildMethodCodecs(method);
    codecsByTypes.set(key, codecs);
  }
  return codecs;
}


function buildMethodCodecs(method: { requestType: string; responseType: string }): {
  requestSerialize: (value: object) => Buffer;
  requestDeserialize: (bytes: Buffer) => object;
  responseSerialize: (value: object) => Buffer;
  responseDeserialize: (bytes: Buffer) => object;
} {
  const types = palyraRoot();
  const request = types.lookupType(method.requestType);
  const response = types.lookupType(method.responseType);
  return {
    requestSerialize: serializer(request),
    requestDeserialize: deserializer(request),
    responseSerialize: serializer(response),
    responseDeserialize: deserializer(response),
  };
}
