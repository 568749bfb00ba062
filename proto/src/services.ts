import * as grpc from '@grpc/grpc-js';
import { methodCodecs } from './codecs.js';
import { PALYRA_SERVICES } from './generated/descriptor.js';

export { CONVERSION_OPTIONS } from './codecs.js';

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

/** Builds the grpc-js client class (with its `service` definition) of one palyra.v1 service. */
export function buildServiceClient(name: PalyraServiceName): grpc.ServiceClientConstructor {
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const [methodName, method] of Object.entries(PALYRA_SERVICES[name].methods)) {
    definition[methodName] = {
      path: method.path,
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      originalName: method.originalName,
      ...methodCodecs(method),
    };
  }
  return grpc.makeClientConstructor(definition, name);
}
