import type { PluginLogger } from '@palyra/plugin-sdk';

type Level = keyof PluginLogger;

/** The host's default logger: warnings and errors to stderr, one line each; debug/info dropped. */
export const stderrLogger: PluginLogger = {
  debug: () => {},
  info: () => {},
  warn: (message, fields) => writeLine('warn', message, fields),
  error: (message, fields) => writeLine('error', message, fields),
};

function writeLine(level: Level, message: string, fields: Record<string, unknown> | undefined): void {
  let suffix = '';
  if (fields !== undefined && Object.keys(fields).length > 0) {
    try {
      suffix = ` ${JSON.stringify(fields)}`;
    } catch {
      suffix = ' {unserializable fields}';
    }
  }
  process.stderr.write(`palyra-node ${level}: ${message.replace(/\s*\n\s*/g, ' ')}${suffix}\n`);
}
