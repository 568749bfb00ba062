import * as grpc from '@grpc/grpc-js';
import { PalyraError, type GrpcStatusName } from '@palyra/shared/errors';

/** Trailing-metadata key that carries a PalyraError as JSON across an RPC. */
export const ERROR_METADATA_KEY = 'palyra-error-bin';

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
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
};

/** Turns any error into a grpc ServiceError whose metadata round-trips the PalyraError. */
export function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  const palyra = PalyraError.from(error);
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_METADATA_KEY, Buffer.from(JSON.stringify(palyra.toJSON()), 'utf8'));
  return { code: STATUS[palyra.grpcStatus], details: `${palyra.code}: ${palyra.message}`, metadata };
}

/**
 * Turns a grpc error received by a client back into a PalyraError. Errors that did not come
 * from a Palyra peer (connection refused, deadline, TLS failure) get a code by status.
 */
export function fromServiceError(error: unknown, context = 'the daemon'): PalyraError {
  if (error instanceof PalyraError) return error;
  const serviceError = error as Partial<grpc.ServiceError> | undefined;
  const raw = serviceError?.metadata?.get(ERROR_METADATA_KEY)[0];
  if (raw !== undefined) {
    try {
      return PalyraError.fromJSON(JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : raw));
    } catch {
      // fall through to the status mapping
    }
  }
  // grpc-js appends an empty "Resolution note:" to connection failures; it says nothing.
  const details = (serviceError?.details ?? (error instanceof Error ? error.message : String(error))).replace(/\s*Resolution note:\s*$/, '');
  switch (serviceError?.code) {
    case grpc.status.UNAVAILABLE:
      return new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', `cannot reach ${context}: ${details}`, { cause: error });
    case grpc.status.DEADLINE_EXCEEDED:
      return new PalyraError('PALYRA_E_TIMEOUT', `${context} did not answer in time: ${details}`, { cause: error });
    case grpc.status.CANCELLED:
      return new PalyraError('PALYRA_E_CANCELLED', `call to ${context} was cancelled`, { cause: error });
    case grpc.status.UNAUTHENTICATED:
      return new PalyraError('PALYRA_E_UNAUTHENTICATED', details, { cause: error });
    case grpc.status.PERMISSION_DENIED:
      return new PalyraError('PALYRA_E_PERMISSION_DENIED', details, { cause: error });
    default:
      return new PalyraError('PALYRA_E_INTERNAL', `${context} failed: ${details}`, { cause: error });
  }
}
