import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { ensurePrivateDir, readOwnFile, writePrivateFileAtomic } from '@palyra/shared/fs';
import type { IdentityStore, NodeIdentity } from './NodeIdentity.js';

const FILE_NAME = 'identity.v1.json';
/** An identity (keys, certificates) is a few KiB. */
const MAX_IDENTITY_BYTES = 256 * 1024;

const STRING_FIELDS = [
  'deviceId',
  'name',
  'daemonAddress',
  'caFingerprint',
  'caCertPem',
  'certPem',
  'certExpiresAt',
  'tlsPrivateKeyPem',
  'ed25519PrivateKey',
  'ed25519PublicKey',
  'x25519PrivateKey',
  'x25519PublicKey',
  'joinedAt',
] as const;

/**
 * The first slice's store: the node identity in a plain 0600 JSON file in the 0700 state dir.
 * Kept to read (and migrate, see VaultIdentityStore) identities stored that way.
 */
export class FileIdentityStore implements IdentityStore {
  readonly backend = 'file (0600, unencrypted)';
  readonly path: string;

  constructor(private readonly stateDir: string) {
    this.path = join(stateDir, FILE_NAME);
  }

  async load(): Promise<NodeIdentity | undefined> {
    const bytes = await readOwnFile(this.path, { secret: true, what: 'the identity file', maxBytes: MAX_IDENTITY_BYTES });
    if (bytes === undefined) return undefined;
    return parseIdentity(bytes.toString('utf8'), this.path);
  }

  async save(identity: NodeIdentity): Promise<void> {
    await ensurePrivateDir(this.stateDir);
    await writePrivateFileAtomic(this.path, `${JSON.stringify(identity, null, 2)}\n`);
  }

  async remove(): Promise<boolean> {
    const existed = (await this.load().catch(() => 'unreadable')) !== undefined;
    await rm(this.path, { force: true });
    return existed;
  }
}

/** Parses and checks a stored identity document; PALYRA_E_IDENTITY_CORRUPT names `path`. */
export function parseIdentity(text: string, path: string): NodeIdentity {
  const corrupt = (what: string): PalyraError =>
    new PalyraError('PALYRA_E_IDENTITY_CORRUPT', `${path}: ${what}; restore it, or run palyra-node leave and join again`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corrupt('not valid JSON');
  }
  if (typeof value !== 'object' || value === null) throw corrupt('not an object');
  const record = value as Record<string, unknown>;
  if (record.version !== 1) throw corrupt(`unknown version ${JSON.stringify(record.version)}`);
  for (const field of STRING_FIELDS) {
    if (typeof record[field] !== 'string' || record[field] === '') throw corrupt(`${field} is missing`);
  }
  return record as unknown as NodeIdentity;
}
