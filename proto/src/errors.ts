import * as grpc from '@grpc/grpc-js';
import { PalyraError, type GrpcStatusName } from '@palyra/shared/errors';
import { ERROR_METADATA_KEY } from './statusErrors.js';

export { ERROR_METADATA_KEY, fromServiceError } from './statusErrors.js';

const STATUS: Record<GrpcStatusName, grpc.status> = {
  CANCELLED: grpc.status.CANCELLED,
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  DEADLINE_EXCEEDED: grpc.status.DEADLINE_EXCEEDED,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  INTERNAL: grpc.status.INTERNAL,
  DATA_LOSS: grpc.status.DATA_LOSS,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
};

/** Turns any error into a grpc ServiceError whose metadata round-trips the PalyraError. */
export function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  const palyra = PalyraError.from(error);
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_METADATA_KEY, Buffer.from(JSON.stringify(palyra.toJSON()), 'utf8'));
  return { code: STATUS[palyra.grpcStatus], details: `${palyra.code}: ${palyra.message}`, metadata };
}
