import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { PalyraError } from '../errors/index.js';

/**
 * The encrypted vault file, format version 1:
 *
 *   magic "PLYVAULT" (8) | version (1) = 1 | header length (2, big endian) | header (UTF-8 JSON)
 *   | nonce (12, random per write) | ChaCha20-Poly1305 ciphertext of the payload | tag (16)
 *
 * The associated data is everything before the nonce: magic, format version and the header,
 * which names the owner (the node's device id or the daemon's id), the vault id and where
 * the data key lives. Changing any byte of the file makes decryption fail. The header also
 * carries a key check value (HKDF of the data key), so a wrong passphrase or key file is told
 * apart from an altered file.
 */
export const VAULT_MAGIC = Buffer.from('PLYVAULT', 'latin1');
export const VAULT_FORMAT_VERSION = 1;
export const DATA_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const CHECK_BYTES = 16;
const PREFIX_BYTES = VAULT_MAGIC.length + 1 + 2;
const MAX_HEADER_BYTES = 4096;
/** A vault holds keys, certificates and small secrets. */
export const MAX_VAULT_FILE_BYTES = 8 * 1024 * 1024;

/** scrypt parameters accepted from a header: a tampered header must not make us allocate gigabytes. */
const SCRYPT_LIMITS = { logN: [14, 20], r: [1, 16], p: [1, 4] } as const;

export type HeaderKey =
  | { source: 'os'; service: string; account: string }
  | { source: 'passphrase'; kdf: 'scrypt'; logN: number; r: number; p: number; salt: string }
  | { source: 'keyfile'; path: string; managed: boolean };

export interface VaultHeader {
  /** The device id of a node, or the id of a daemon: bound into the associated data. */
  owner: string;
  /** Random, 32 hex characters; names the OS vault entry and salts the subkeys. */
  vaultId: string;
  /** `palyra-node` or `palyrad`. */
  name: string;
  created: string;
  key: HeaderKey;
  /** base64 key check value. */
  check: string;
}

/** Record ids: lowercase, digits and `._:-` (never `__proto__` and friends). */
export const RECORD_ID_PATTERN = /^[a-z0-9][a-z0-9._:-]{0,127}$/;

export interface StoredRecord {
  value: string;
  created: string;
  updated: string;
  version: number;
  meta: Record<string, string>;
}

export interface VaultPayload {
  records: Record<string, StoredRecord>;
}

export function corrupt(file: string, what: string, cause?: unknown): PalyraError {
  return new PalyraError(
    'PALYRA_E_VAULT_CORRUPT',
    `the vault file ${file} ${what}; nothing was changed: restore it from a backup, or remove it and start over (a node then joins again)`,
    { details: { file }, ...(cause === undefined ? {} : { cause }) },
  );
}

function subkey(dataKey: Uint8Array, vaultId: string, purpose: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, Buffer.from(vaultId, 'hex'), `palyra vault v${VAULT_FORMAT_VERSION} ${purpose}`, length));
}

/** The key check value of a data key for a vault. */
export function keyCheck(dataKey: Uint8Array, vaultId: string): string {
  return subkey(dataKey, vaultId, 'key check', CHECK_BYTES).toString('base64');
}

export function keyMatches(dataKey: Uint8Array, header: VaultHeader): boolean {
  const expected = Buffer.from(header.check, 'base64');
  const actual = Buffer.from(keyCheck(dataKey, header.vaultId), 'base64');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The header and the parts of a vault file, before decryption. */
export interface ParsedVaultFile {
  header: VaultHeader;
  aad: Buffer;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** Splits a vault file and validates its header. Throws PALYRA_E_VAULT_CORRUPT. */
export function parseVaultFile(bytes: Buffer, file: string): ParsedVaultFile {
  if (bytes.length < PREFIX_BYTES || !bytes.subarray(0, VAULT_MAGIC.length).equals(VAULT_MAGIC)) {
    throw corrupt(file, bytes.length < PREFIX_BYTES ? 'is truncated' : 'is not a Palyra vault file');
  }
  const version = bytes[VAULT_MAGIC.length];
  if (version !== VAULT_FORMAT_VERSION) {
    throw new PalyraError(
      'PALYRA_E_STATE_VERSION',
      `the vault file ${file} has format version ${String(version)}, this build reads version ${VAULT_FORMAT_VERSION}: upgrade Palyra`,
      { details: { file } },
    );
  }
  const headerLength = bytes.readUInt16BE(VAULT_MAGIC.length + 1);
  if (headerLength === 0 || headerLength > MAX_HEADER_BYTES) throw corrupt(file, 'has an invalid header length');
  const headerEnd = PREFIX_BYTES + headerLength;
  if (bytes.length < headerEnd + NONCE_BYTES + TAG_BYTES) throw corrupt(file, 'is truncated');
  let header: unknown;
  try {
    header = JSON.parse(bytes.subarray(PREFIX_BYTES, headerEnd).toString('utf8'));
  } catch (error) {
    throw corrupt(file, 'has an unreadable header', error);
  }
  const problem = headerProblem(header);
  if (problem !== undefined) throw corrupt(file, `has an invalid header (${problem})`);
  return {
    header: header as VaultHeader,
    aad: bytes.subarray(0, headerEnd),
    nonce: bytes.subarray(headerEnd, headerEnd + NONCE_BYTES),
    ciphertext: bytes.subarray(headerEnd + NONCE_BYTES, bytes.length - TAG_BYTES),
    tag: bytes.subarray(bytes.length - TAG_BYTES),
  };
}

/** Decrypts and validates the payload. A failed tag is PALYRA_E_VAULT_CORRUPT (the key was checked before). */
export function decryptPayload(parsed: ParsedVaultFile, dataKey: Uint8Array, file: string): VaultPayload {
  const key = subkey(dataKey, parsed.header.vaultId, 'encryption', DATA_KEY_BYTES);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('chacha20-poly1305', key, parsed.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(parsed.aad, { plaintextLength: parsed.ciphertext.length });
    decipher.setAuthTag(parsed.tag);
    plain = Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]);
  } catch (error) {
    throw corrupt(file, 'was altered or truncated (authentication failed)', error);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(plain.toString('utf8'));
  } catch (error) {
    throw corrupt(file, 'holds an unreadable payload', error);
  } finally {
    plain.fill(0);
  }
  const problem = payloadProblem(payload);
  if (problem !== undefined) throw corrupt(file, `holds an invalid payload (${problem})`);
  return payload as VaultPayload;
}

/** Encodes a whole vault file with a fresh nonce. */
export function encodeVaultFile(header: VaultHeader, payload: VaultPayload, dataKey: Uint8Array): Buffer {
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  if (headerBytes.length > MAX_HEADER_BYTES) throw new PalyraError('PALYRA_E_INTERNAL', 'the vault header is too large');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  VAULT_MAGIC.copy(prefix, 0);
  prefix[VAULT_MAGIC.length] = VAULT_FORMAT_VERSION;
  prefix.writeUInt16BE(headerBytes.length, VAULT_MAGIC.length + 1);
  const aad = Buffer.concat([prefix, headerBytes]);
  const nonce = randomBytes(NONCE_BYTES);
  const key = subkey(dataKey, header.vaultId, 'encryption', DATA_KEY_BYTES);
  const plain = Buffer.from(JSON.stringify(payload), 'utf8');
  try {
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad, { plaintextLength: plain.length });
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    const file = Buffer.concat([aad, nonce, ciphertext, cipher.getAuthTag()]);
    if (file.length > MAX_VAULT_FILE_BYTES) {
      throw new PalyraError('PALYRA_E_LIMIT_EXCEEDED', `the vault would grow past ${MAX_VAULT_FILE_BYTES} bytes: delete secrets you no longer need`);
    }
    return file;
  } finally {
    plain.fill(0);
  }
}

/** Bounds-checked scrypt parameters of a passphrase header, else a problem. */
export function scryptProblem(key: { logN: number; r: number; p: number; salt: string }): string | undefined {
  for (const name of ['logN', 'r', 'p'] as const) {
    const [min, max] = SCRYPT_LIMITS[name];
    const value = key[name];
    if (!Number.isInteger(value) || value < min || value > max) return `scrypt ${name} ${String(value)} is outside ${min}..${max}`;
  }
  if (Buffer.from(key.salt, 'base64').length < 16) return 'the scrypt salt is shorter than 16 bytes';
  return undefined;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isIso = (value: unknown): boolean => isString(value) && !Number.isNaN(Date.parse(value));

function headerProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const h = value as Record<string, unknown>;
  if (!isString(h.owner) || h.owner === '' || h.owner.length > 200) return 'owner';
  if (!isString(h.vaultId) || !/^[0-9a-f]{32}$/.test(h.vaultId)) return 'vaultId';
  if (!isString(h.name) || !/^[a-z][a-z0-9-]{0,31}$/.test(h.name)) return 'name';
  if (!isIso(h.created)) return 'created';
  if (!isString(h.check) || Buffer.from(h.check, 'base64').length !== CHECK_BYTES) return 'check';
  if (typeof h.key !== 'object' || h.key === null) return 'key';
  const key = h.key as Record<string, unknown>;
  if (key.source === 'os') {
    if (!isString(key.service) || key.service === '' || !isString(key.account) || key.account === '') return 'key.service/account';
  } else if (key.source === 'passphrase') {
    if (key.kdf !== 'scrypt' || !isString(key.salt)) return 'key.kdf';
    const problem = scryptProblem(key as { logN: number; r: number; p: number; salt: string });
    if (problem !== undefined) return problem;
  } else if (key.source === 'keyfile') {
    if (!isString(key.path) || key.path === '' || typeof key.managed !== 'boolean') return 'key.path';
  } else {
    return 'key.source';
  }
  return undefined;
}

function payloadProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const records = (value as Record<string, unknown>).records;
  if (typeof records !== 'object' || records === null || Array.isArray(records)) return 'records';
  for (const [id, record] of Object.entries(records)) {
    if (!RECORD_ID_PATTERN.test(id)) return 'record id';
    if (typeof record !== 'object' || record === null) return `record ${id}`;
    const r = record as Record<string, unknown>;
    if (!isString(r.value) || !isIso(r.created) || !isIso(r.updated)) return `record ${id}`;
    if (!Number.isInteger(r.version) || (r.version as number) < 1) return `record ${id} version`;
    if (typeof r.meta !== 'object' || r.meta === null || !Object.values(r.meta).every(isString)) return `record ${id} meta`;
  }
  return undefined;
}
