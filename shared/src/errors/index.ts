// The errors live in @palyra/plugin-sdk (plugins throw them too): one PalyraError class, so
// `instanceof` holds whichever package a module imported it from.
export {
  ERROR_CODES,
  isErrorCode,
  PalyraError,
  formatErrorLine,
  parseErrorDetails,
  type ErrorCode,
  type GrpcStatusName,
  type PalyraErrorJson,
} from '@palyra/plugin-sdk';
