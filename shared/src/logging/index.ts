export { LOG_LEVELS, REDACTED_FIELDS, createLogger, type LogLevel, type Logger, type LoggerOptions } from './createLogger.js';
export { RateLimitedLog, type RateLimitedLevel, type RateLimitedLogOptions } from './RateLimitedLog.js';
