import { constants } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { PalyraError } from '@palyra/shared/errors';
import { assertTrustedOwner } from '@palyra/shared/fs';
import { stateCorruptError, stateIoError, statePermissionsError, stateVersionError } from './errors.js';
import { RUNTIME_STATE_VERSION, type RuntimeState } from './types.js';
import { StateValidationError, validateRuntimeState } from './validation.js';

/*
 * Reading a `node-runtime.v1.json` document: the registry's state file of the first releases,
 * the seed the store imports once, and the format of `palyrad state export|import`.
 */

/**
 * The file's bytes, or undefined when it does not exist. Checks type, owner and mode first;
 * a symbolic link is refused (the registry is trusted only as written by this user).
 */
export async function readRuntimeStateFile(file: string, fs: Pick<typeof nodeFs, 'open'> = nodeFs): Promise<Buffer | undefined> {
  let handle: nodeFs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') {
      throw new PalyraError('PALYRA_E_STATE_PERMISSIONS', `state file ${file} is a symbolic link; replace it with the file itself`, { cause: error, details: { file } });
    }
    throw stateIoError(file, 'open', error);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw stateIoError(file, 'read', new Error('not a regular file'));
    assertTrustedOwner(stat, file, 'state file');
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) throw statePermissionsError(file, stat.mode);
    return await handle.readFile();
  } catch (error) {
    if (error instanceof PalyraError) throw error;
    throw stateIoError(file, 'read', error);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Files written before derivations were kept out of the state file carry each code's `prs`
 * and `salt`: they load, without them (the next save writes the file without them; the
 * daemon ends the codes they belonged to, see NodeRegistry). Anything else about a code is
 * still validated strictly.
 */
function dropCodeDerivations(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const codes = (value as { pairingCodes?: unknown }).pairingCodes;
  if (!Array.isArray(codes)) return value;
  return {
    ...value,
    pairingCodes: codes.map((code: unknown) => {
      if (typeof code !== 'object' || code === null || Array.isArray(code)) return code;
      const { prs: _prs, salt: _salt, ...rest } = code as Record<string, unknown>;
      return rest;
    }),
  };
}

/** Decodes, parses and validates the file's bytes; `file` is only used in messages. */
export function parseRuntimeState(bytes: Uint8Array, file: string): RuntimeState {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw stateCorruptError(file, 'not valid UTF-8', error);
  }
  if (text.trim() === '') throw stateCorruptError(file, 'the file is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw stateCorruptError(file, `invalid JSON (${(error as Error).message})`, error);
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const version = (value as { version?: unknown }).version;
    if (typeof version === 'number' && Number.isSafeInteger(version) && version !== RUNTIME_STATE_VERSION) {
      throw stateVersionError(file, version, RUNTIME_STATE_VERSION);
    }
  }
  try {
    return validateRuntimeState(dropCodeDerivations(value));
  } catch (error) {
    if (error instanceof StateValidationError) throw stateCorruptError(file, error.message, error);
    throw error;
  }
}
