import { ERROR_CODES, isErrorCode, type ErrorCode, type GrpcStatusName } from './codes.js';

export interface PalyraErrorJson {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * The one error type the project throws on purpose. `code` is stable and documented;
 * `message` says what happened and what to do; `cause` keeps the underlying error.
 */
export class PalyraError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PalyraError';
    this.code = code;
    this.details = options.details;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exitCode;
  }

  get grpcStatus(): GrpcStatusName {
    return ERROR_CODES[this.code].grpc;
  }

  toJSON(): PalyraErrorJson {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromJSON(value: unknown): PalyraError {
    if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      if (isErrorCode(record.code) && typeof record.message === 'string') {
        const details =
          typeof record.details === 'object' && record.details !== null
            ? (record.details as Record<string, unknown>)
            : undefined;
        return new PalyraError(record.code, record.message, details === undefined ? {} : { details });
      }
    }
    return new PalyraError('PALYRA_E_INTERNAL', 'received a malformed error from the peer');
  }

  /** Wraps anything thrown into a PalyraError, keeping the original as `cause`. */
  static from(error: unknown, fallback: ErrorCode = 'PALYRA_E_INTERNAL'): PalyraError {
    if (error instanceof PalyraError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new PalyraError(fallback, message, { cause: error });
  }
}

/** One line for stderr, as the CLI contract requires. */
export function formatErrorLine(error: PalyraError): string {
  return `error ${error.code}: ${error.message.replace(/\s*\n\s*/g, ' ')}`;
}
