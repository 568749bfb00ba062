import { PalyraError } from '@palyra/shared/errors';

/**
 * gRPC status codes (grpc/status.h). Kept here so that clients that never load grpc-js (the
 * CLI's unary calls) map errors exactly like those that do.
 */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** Trailing-metadata key that carries a PalyraError as JSON across an RPC. */
export const ERROR_METADATA_KEY = 'palyra-error-bin';

/** The parts of a grpc-js ServiceError (or of a status read off the wire) the mapping uses. */
export interface StatusLike {
  code?: number;
  details?: string;
  metadata?: { get(key: string): Array<string | Buffer> };
}

/**
 * Turns a grpc error received by a client back into a PalyraError. Errors that did not come
 * from a Palyra peer (connection refused, deadline, TLS failure) get a code by status.
 */
export function fromServiceError(error: unknown, context = 'the daemon'): PalyraError {
  if (error instanceof PalyraError) return error;
  const serviceError = error as StatusLike | undefined;
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
    case GRPC_STATUS.UNAVAILABLE:
      return new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', `cannot reach ${context}: ${details}`, { cause: error });
    case GRPC_STATUS.DEADLINE_EXCEEDED:
      return new PalyraError('PALYRA_E_TIMEOUT', `${context} did not answer in time: ${details}`, { cause: error });
    case GRPC_STATUS.CANCELLED:
      return new PalyraError('PALYRA_E_CANCELLED', `call to ${context} was cancelled`, { cause: error });
    case GRPC_STATUS.UNAUTHENTICATED:
      return new PalyraError('PALYRA_E_UNAUTHENTICATED', details, { cause: error });
    case GRPC_STATUS.PERMISSION_DENIED:
      return new PalyraError('PALYRA_E_PERMISSION_DENIED', details, { cause: error });
    default:
      return new PalyraError('PALYRA_E_INTERNAL', `${context} failed: ${details}`, { cause: error });
  }
}
