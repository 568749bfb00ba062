import { PalyraError } from '@palyra/shared/errors';

/** The environment variable `join` reads the pairing code from when no flag gives it. */
export const PAIRING_CODE_ENV = 'PALYRA_PAIRING_CODE';

/** Longest line `--pin -` / `--qr -` read from stdin (a QR URI is ~200 characters). */
const MAX_CODE_LINE_BYTES = 4096;

/** A pairing code as typed: a PIN, or the whole palyra://pair URI of a QR code. */
export type PairingCode = { method: 'pin'; pin: string } | { method: 'qr'; uri: string };

export interface PairingCodeSources {
  /** `--pin`: the PIN, or `-` for one line of stdin. */
  pin?: string;
  /** `--qr`: the URI, or `-` for one line of stdin. */
  qr?: string;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
  /** Where a prompt is shown. */
  stderr: NodeJS.WriteStream;
}

export interface ReadPairingCode {
  code: PairingCode;
  /** The flag that carried the code on the command line (visible to other local users), if any. */
  onArgv?: '--pin' | '--qr';
}

/**
 * Where `join` gets the pairing code, first match wins:
 * 1. `--pin -` / `--qr -`: one line of stdin (at a hidden prompt when stdin is a terminal);
 * 2. `--pin N` / `--qr URI`: the command line (works, but `ps` shows it: the caller warns);
 * 3. PALYRA_PAIRING_CODE: six digits are a PIN, a `palyra://` URI is a QR payload;
 * 4. a hidden prompt when stdin and stderr are terminals, read like PALYRA_PAIRING_CODE.
 * The code is never echoed and never part of an error message.
 */
export async function readPairingCode(sources: PairingCodeSources): Promise<ReadPairingCode> {
  const { pin, qr, env, stdin, stderr } = sources;
  if (pin !== undefined && qr !== undefined) {
    throw new PalyraError('PALYRA_E_USAGE', 'give either --pin or --qr, not both');
  }
  if (pin === '-') return { code: asPin(await readLine(stdin, stderr, 'PIN: '), 'the PIN on stdin') };
  if (qr === '-') return { code: asQr(await readLine(stdin, stderr, 'QR pairing URI: '), 'the line on stdin') };
  if (pin !== undefined) return { code: asPin(pin, 'the PIN'), onArgv: '--pin' };
  if (qr !== undefined) return { code: asQr(qr, '--qr'), onArgv: '--qr' };
  const fromEnv = env[PAIRING_CODE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { code: interpret(fromEnv, PAIRING_CODE_ENV) };
  if (stdin.isTTY === true && stderr.isTTY === true) {
    return { code: interpret(await readLine(stdin, stderr, 'pairing code (6-digit PIN or palyra://pair URI): '), 'the code typed') };
  }
  throw new PalyraError(
    'PALYRA_E_USAGE',
    `give the pairing code: --pin - (read from stdin), ${PAIRING_CODE_ENV}, or run in a terminal to be asked; ` +
      '--pin 123456 and --qr palyra://pair?... also work but show the code to other local users',
  );
}

/** Six digits are a PIN, a palyra:// URI a QR payload; anything else names only where it came from. */
function interpret(text: string, source: string): PairingCode {
  const value = text.trim();
  if (/^\d{6}$/.test(value)) return { method: 'pin', pin: value };
  if (/^palyra:\/\//i.test(value)) return { method: 'qr', uri: value };
  throw new PalyraError('PALYRA_E_USAGE', `${source} is neither a 6-digit PIN nor a palyra://pair URI`);
}

function asPin(text: string, source: string): PairingCode {
  const value = text.trim();
  if (!/^\d{6}$/.test(value)) throw new PalyraError('PALYRA_E_USAGE', `${source} is not six digits (e.g. 123456)`);
  return { method: 'pin', pin: value };
}

function asQr(text: string, source: string): PairingCode {
  const value = text.trim();
  if (value === '') throw new PalyraError('PALYRA_E_USAGE', `${source} holds no palyra://pair URI`);
  return { method: 'qr', uri: value };
}

/** One line of stdin: at a hidden prompt on a terminal (a terminal would echo it), else piped. */
async function readLine(stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream, question: string): Promise<string> {
  const { readSecretInput } = await import('@palyra/shared/cli');
  const input = await readSecretInput({
    stdin,
    stderr,
    question,
    firstLine: true,
    maxBytes: MAX_CODE_LINE_BYTES,
    tooLarge: () => new PalyraError('PALYRA_E_LIMIT_EXCEEDED', `the line on stdin is longer than ${MAX_CODE_LINE_BYTES} bytes: it is no pairing code`),
  });
  if (input.prompted) return input.text;
  const line = input.text.replace(/\r$/, '');
  if (line.trim() === '') throw new PalyraError('PALYRA_E_USAGE', 'stdin held no pairing code (pipe one line: the PIN or the palyra://pair URI)');
  return line;
}
