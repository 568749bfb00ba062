// What a client of the daemon needs without loading grpc-js: the unary HTTP/2 client and the
// error mapping. Streaming clients use the grpc-js classes of the package's main entry.
export { MAX_ADMIN_MESSAGE_BYTES, UnaryHttp2Client, type ConnectOptions, type TlsTarget, type UnaryCallOptions } from './UnaryHttp2Client.js';
export { ERROR_METADATA_KEY, GRPC_STATUS, fromServiceError, type StatusLike } from '../statusErrors.js';
