import type { PluginLogger } from '../plugins/index.js';

type Level = keyof PluginLogger;

/**
 * A logger that stamps fixed fields (the plugin's name, the capability, the dispatch id) on
 * every line it passes to its parent. The stamped fields win over the caller's, so a plugin
 * cannot log under another plugin's name. A parent logger that throws is ignored: logging
 * never fails a plugin or the host.
 */
export class ScopedLogger implements PluginLogger {
  constructor(
    private readonly parent: PluginLogger,
    private readonly fields: Readonly<Record<string, unknown>>,
  ) {}

  /** A child logger with more stamped fields. */
  child(fields: Readonly<Record<string, unknown>>): ScopedLogger {
    return new ScopedLogger(this.parent, { ...this.fields, ...fields });
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.log('debug', message, fields);
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.log('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.log('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.log('error', message, fields);
  }

  private log(level: Level, message: unknown, fields: unknown): void {
    const extra = typeof fields === 'object' && fields !== null ? (fields as Record<string, unknown>) : {};
    try {
      this.parent[level](String(message), { ...extra, ...this.fields });
    } catch {
      // A broken log sink must not take a dispatch down.
    }
  }
}
