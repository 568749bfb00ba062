import { Writable } from 'node:stream';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { PalyraError } from '../errors/index.js';

export type LogLevel = Exclude<LevelWithSilent, 'fatal'>;
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];

export interface LoggerOptions {
  /** Program name stamped on every line. */
  name: string;
  level?: LogLevel;
  /** Human-readable lines instead of JSON; default: when the destination is a TTY. */
  pretty?: boolean;
  /** Default: stderr (stdout belongs to command output and --json documents). */
  destination?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Field names that never reach a log line, whatever a caller passes: the PIN, QR tokens,
 * keys, secrets, passphrases. Defence in depth: call sites do not log them in the first place.
 */
export const REDACTED_FIELDS = [
  'pin',
  'token',
  'secret',
  'secrets',
  'passphrase',
  'password',
  'privateKey',
  'tlsPrivateKeyPem',
  'ed25519PrivateKey',
  'x25519PrivateKey',
  'prs',
  'value',
];

/** Structured logs (pino): JSON lines when not on a TTY, readable lines when on one. */
export function createLogger({ name, level = 'info', pretty, destination = process.stderr }: LoggerOptions): Logger {
  if (!LOG_LEVELS.includes(level)) {
    throw new PalyraError('PALYRA_E_USAGE', `--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${String(level)}"`);
  }
  const redact = { paths: [...REDACTED_FIELDS, ...REDACTED_FIELDS.map((f) => `*.${f}`)], censor: '[redacted]' };
  const usePretty = pretty ?? destination.isTTY === true;
  const stream = usePretty ? prettyStream(destination) : destination;
  return pino({ name, level, redact, base: { name }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMITTED = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname']);

/** `12:00:01 INFO  node online device=01J...` from pino's JSON lines. */
function prettyStream(destination: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        try {
          const record = JSON.parse(line) as Record<string, unknown>;
          const time = typeof record.time === 'string' ? record.time.slice(11, 19) : '';
          const level = (LEVEL_NAMES[Number(record.level)] ?? 'LOG').padEnd(5);
          const fields = Object.entries(record)
            .filter(([k]) => !OMITTED.has(k))
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ');
          destination.write(`${time} ${level} ${String(record.msg ?? '')}${fields === '' ? '' : ` ${fields}`}\n`);
        } catch {
          destination.write(`${line}\n`);
        }
      }
      callback();
    },
  });
}

export type { Logger };
