import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs/light.js';
import { describe, expect, it } from 'vitest';
import { PALYRA_DESCRIPTOR } from '../src/generated/descriptor.js';
import { PROTO_ROOT, loadPalyraProto, type PalyraServices } from '../src/index.js';

// The run-time codecs come from the descriptor generated at build time; they must do exactly
// what @grpc/proto-loader parsing the .proto files did (same paths, bytes and objects).
const reference = protoLoader.loadSync(['palyra/v1/admin.proto', 'palyra/v1/node.proto', 'palyra/v1/pairing.proto'], {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
});
const types = protobuf.Root.fromJSON(PALYRA_DESCRIPTOR as unknown as protobuf.INamespace);
types.resolveAll();

/** A value for every field (the first member of each oneof), nested messages included. */
function sample(type: protobuf.Type, depth = 0): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  const skipped = new Set(type.oneofsArray.flatMap((oneof) => oneof.fieldsArray.slice(1).map((f) => f.name)));
  for (const field of type.fieldsArray) {
    if (skipped.has(field.name)) continue;
    field.resolve();
    const one = scalar(field, depth);
    if (one === undefined) continue;
    if (field.map) value[field.name] = { first: one, second: one };
    else value[field.name] = field.repeated ? [one, one] : one;
  }
  return value;
}

function scalar(field: protobuf.Field, depth: number): unknown {
  if (field.resolvedType instanceof protobuf.Type) return depth < 4 ? sample(field.resolvedType, depth + 1) : undefined;
  if (field.resolvedType instanceof protobuf.Enum) return Object.keys(field.resolvedType.values).at(-1);
  switch (field.type) {
    case 'string':
      return `${field.name} ✓`;
    case 'bool':
      return true;
    case 'bytes':
      return Buffer.from([0, 1, 2, 255]);
    case 'double':
      return 1.25;
    case 'int64':
    case 'uint64':
      return '9007199254740993'; // above 2^53: must survive as a string
    default:
      return 4_000_000_000 % 2 ** 31; // fits every 32-bit type
  }
}

describe('proto service definitions from the generated descriptor', () => {
  const services = loadPalyraProto();

  for (const name of ['AdminService', 'NodeService', 'PairingService'] as const satisfies readonly (keyof PalyraServices)[]) {
    it(`${name} matches @grpc/proto-loader method by method`, () => {
      const expected = reference[`palyra.v1.${name}`] as protoLoader.ServiceDefinition;
      const actual = services[name].service as unknown as Record<string, protoLoader.MethodDefinition<object, object>>;
      expect(Object.keys(actual)).toEqual(Object.keys(expected));
      for (const [method, want] of Object.entries(expected)) {
        const got = actual[method]!;
        expect({ path: got.path, requestStream: got.requestStream, responseStream: got.responseStream, originalName: got.originalName }).toEqual({
          path: want.path,
          requestStream: want.requestStream,
          responseStream: want.responseStream,
          originalName: want.originalName,
        });
        for (const side of ['request', 'response'] as const) {
          const typeName = (side === 'request' ? want.requestType : want.responseType).type.name as string;
          const message = sample(types.lookupType(`palyra.v1.${typeName}`));
          const serialize = side === 'request' ? [want.requestSerialize, got.requestSerialize] : [want.responseSerialize, got.responseSerialize];
          const deserialize = side === 'request' ? [want.requestDeserialize, got.requestDeserialize] : [want.responseDeserialize, got.responseDeserialize];
          const bytes = serialize[0]!(message);
          expect(serialize[1]!(message)).toEqual(bytes);
          expect(deserialize[1]!(bytes)).toEqual(deserialize[0]!(bytes));
          expect(deserialize[1]!(Buffer.alloc(0))).toEqual(deserialize[0]!(Buffer.alloc(0)));
          expect(() => serialize[1]!([] as unknown as object)).toThrow(/got array instead/);
        }
      }
    });
  }
});
