export { ERROR_CODES, isErrorCode, type ErrorCode, type GrpcStatusName } from './codes.js';
export { PalyraError, formatErrorLine, type PalyraErrorJson } from './PalyraError.js';
export { parseErrorDetails } from './errorDetails.js';
