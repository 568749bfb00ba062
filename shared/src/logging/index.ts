export { LOG_LEVELS, REDACTED_FIELDS, createLogger, type LogLevel, type Logger, type LoggerOptions } from './createLogger.js';
