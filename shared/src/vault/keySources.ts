import { randomBytes, scrypt } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { PalyraError } from '../errors/index.js';
import { readOwnFile } from '../fs/index.js';
import { DATA_KEY_BYTES } from './format.js';
import type { PassphraseSource } from './types.js';

export const PASSPHRASE_ENV = 'PALYRA_VAULT_PASSPHRASE';
/** scrypt N = 2^15, r = 8, p = 1: 32 MiB and ~0.1 s per derivation. */
export const DEFAULT_SCRYPT = { logN: 15, r: 8, p: 1 } as const;
export const MIN_PASSPHRASE_LENGTH = 8;

const POSIX = process.platform !== 'win32';
const O_NOFOLLOW = fsConstants.O_NOFOLLOW ?? 0;

/**
 * Derives the data key from a passphrase with scrypt. Node's default `maxmem` (32 MiB) is
 * exactly what N = 2^15, r = 8 needs and fails; the limit is set from the parameters.
 */
export function deriveKeyFromPassphrase(passphrase: string, params: { logN: number; r: number; p: number; salt: string }): Promise<Buffer> {
  const N = 2 ** params.logN;
  const maxmem = 256 * N * params.r + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), Buffer.from(params.salt, 'base64'), DATA_KEY_BYTES, { N, r: params.r, p: params.p, maxmem }, (error, key) => {
      if (error !== null) reject(new PalyraError('PALYRA_E_INTERNAL', `scrypt failed: ${error.message}`, { cause: error }));
      else resolve(key);
    });
  });
}

export function newScryptParams(): { kdf: 'scrypt'; logN: number; r: number; p: number; salt: string } {
  return { kdf: 'scrypt', ...DEFAULT_SCRYPT, salt: randomBytes(16).toString('base64') };
}

function canPrompt(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/**
 * The default passphrase source: PALYRA_VAULT_PASSPHRASE, else a prompt on the terminal
 * (twice when a vault is created), else undefined.
 */
export function defaultPassphraseSource(env: NodeJS.ProcessEnv = process.env): PassphraseSource {
  return async ({ file, confirm }) => {
    const fromEnv = env[PASSPHRASE_ENV];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    if (!canPrompt()) return undefined;
    const first = await promptHidden(`passphrase for the vault ${file}: `);
    if (confirm) {
      const second = await promptHidden('repeat the passphrase: ');
      if (first !== second) throw new PalyraError('PALYRA_E_USAGE', 'the two passphrases differ; nothing was stored');
    }
    return first;
  };
}

/** Reads one line from the terminal without echoing it. */
export function promptHidden(question: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(question);
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.setEncoding('utf8');
    input.resume();
    let chars: string[] = [];
    const done = (): void => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          done();
          resolve(chars.join(''));
          return;
        }
        if (ch === '\u0003' || (ch === '\u0004' && chars.length === 0)) {
          done();
          reject(new PalyraError('PALYRA_E_CANCELLED', 'cancelled at the prompt'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') chars = chars.slice(0, -1);
        else if (ch >= ' ') chars.push(ch);
      }
    };
    input.on('data', onData);
  });
}

/**
 * Reads a key file: 64 hex characters (an optional newline after) or exactly 32 raw bytes,
 * in a regular file of this user's (or root's) that no one else may read, never through a
 * symbolic link (readOwnFile). PALYRA_E_VAULT_KEY_MISSING when it does not exist.
 */
export async function readKeyFile(path: string): Promise<Buffer> {
  const bytes = await readOwnFile(path, { secret: true, what: 'the vault key file', maxBytes: 1024, tooLarge: () => rejectedKeyFile(path) });
  if (bytes === undefined) {
    throw new PalyraError('PALYRA_E_VAULT_KEY_MISSING', `the vault key file ${path} does not exist: restore it, or give the right one with --vault-key-file`, {
      details: { keyFile: path },
    });
  }
  const text = bytes.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (bytes.length === DATA_KEY_BYTES) return bytes;
  throw rejectedKeyFile(path);
}

function rejectedKeyFile(path: string): PalyraError {
  return new PalyraError(
    'PALYRA_E_VAULT_KEY_REJECTED',
    `the vault key file ${path} does not hold a 32-byte key (64 hex characters, e.g. from \`openssl rand -hex 32\`)`,
    { details: { keyFile: path } },
  );
}

/** Creates a new key file (0600, must not exist yet) with a random key; returns the key. */
export async function createKeyFile(path: string): Promise<Buffer> {
  const key = randomBytes(DATA_KEY_BYTES);
  let handle: FileHandle;
  try {
    handle = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | O_NOFOLLOW, 0o600);
  } catch (error) {
    throw new PalyraError('PALYRA_E_STATE_IO', `cannot create the vault key file ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    if (POSIX) await handle.chmod(0o600);
    await handle.writeFile(`${key.toString('hex')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return key;
}
