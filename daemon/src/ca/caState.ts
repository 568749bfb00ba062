import { PalyraError } from '@palyra/shared/errors';
import type { StateDirectory } from '@palyra/shared/fs';
import type { CaRole } from './CaGeneration.js';
import { CA_CERT_FILE, CA_KEY_FILE } from './constants.js';

/**
 * Which CA generations exist and what each does: `ca-state.v1.json` in the state dir (0600,
 * replaced atomically). It is the commit point of a rotation: the new generation's key and
 * certificate are written first, under names no record points at yet, and only this file's
 * atomic replacement makes them part of the CA set. A crash before it leaves the old set
 * (and unreferenced files a later rotation overwrites); after it, the new set, complete.
 * Absent: one generation, the first CA (`ca.key` / `ca.crt`), signing.
 */
export const CA_STATE_FILE = 'ca-state.v1.json';
export const CA_STATE_VERSION = 1;
/** Generations kept in the record (retired ones included): far more than rotations happen. */
const MAX_GENERATIONS = 64;

export interface CaGenerationRecord {
  id: number;
  /** SHA-256 of the certificate DER, lowercase hex: checked against the file at load. */
  fingerprint: string;
  role: CaRole;
  createdAt: string;
  retiredAt?: string;
}

export interface CaStateRecord {
  version: typeof CA_STATE_VERSION;
  generations: CaGenerationRecord[];
}

/** File names of a generation: the first CA keeps the names it always had. */
export function generationFiles(id: number): { key: string; cert: string } {
  return id === 1 ? { key: CA_KEY_FILE, cert: CA_CERT_FILE } : { key: `ca-${id}.key`, cert: `ca-${id}.crt` };
}

/** The record on disk, or undefined when there is none (a daemon that never rotated). */
export async function readCaState(state: StateDirectory): Promise<CaStateRecord | undefined> {
  const bytes = await state.readSecret(CA_STATE_FILE);
  if (bytes === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw invalidState(state, `it is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return validateCaState(parsed, (problem) => invalidState(state, problem));
}

/** Replaces the record atomically (temp file, fsync, rename). */
export async function writeCaState(state: StateDirectory, record: CaStateRecord): Promise<void> {
  validateCaState(record, (problem) => new PalyraError('PALYRA_E_INTERNAL', `refusing to write an invalid CA state: ${problem}`));
  await state.replace(CA_STATE_FILE, `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

export function validateCaState(value: unknown, fail: (problem: string) => PalyraError): CaStateRecord {
  if (typeof value !== 'object' || value === null) throw fail('expected an object');
  const record = value as Record<string, unknown>;
  if (record.version !== CA_STATE_VERSION) throw fail(`version ${String(record.version)} is not ${CA_STATE_VERSION}`);
  const list = record.generations;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_GENERATIONS) {
    throw fail(`generations must be a list of 1 to ${MAX_GENERATIONS} entries`);
  }
  const generations: CaGenerationRecord[] = [];
  let previousId = 0;
  for (const [index, entry] of list.entries()) {
    if (typeof entry !== 'object' || entry === null) throw fail(`generations[${index}] is not an object`);
    const g = entry as Record<string, unknown>;
    if (typeof g.id !== 'number' || !Number.isInteger(g.id) || g.id <= previousId) throw fail(`generations[${index}].id must be an integer above ${previousId}`);
    previousId = g.id;
    if (typeof g.fingerprint !== 'string' || !/^[0-9a-f]{64}$/.test(g.fingerprint)) throw fail(`generations[${index}].fingerprint is not a SHA-256 in hex`);
    if (g.role !== 'signing' && g.role !== 'retiring' && g.role !== 'retired') throw fail(`generations[${index}].role must be signing, retiring or retired`);
    if (typeof g.createdAt !== 'string' || Number.isNaN(Date.parse(g.createdAt))) throw fail(`generations[${index}].createdAt is not a date`);
    if (g.retiredAt !== undefined && (typeof g.retiredAt !== 'string' || Number.isNaN(Date.parse(g.retiredAt)))) throw fail(`generations[${index}].retiredAt is not a date`);
    generations.push({
      id: g.id,
      fingerprint: g.fingerprint,
      role: g.role,
      createdAt: g.createdAt,
      ...(g.retiredAt === undefined ? {} : { retiredAt: g.retiredAt as string }),
    });
  }
  const signing = generations.filter((g) => g.role === 'signing');
  if (signing.length !== 1) throw fail(`exactly one generation must be signing, found ${signing.length}`);
  if (signing[0] !== generations.filter((g) => g.role !== 'retired').at(-1)) throw fail('the signing generation must be the newest one in use');
  if (generations.filter((g) => g.role === 'retiring').length > 1) throw fail('at most one generation may be retiring');
  return { version: CA_STATE_VERSION, generations };
}

function invalidState(state: StateDirectory, problem: string): PalyraError {
  return new PalyraError(
    'PALYRA_E_CA_INVALID',
    `${state.file(CA_STATE_FILE)} is invalid: ${problem}. Nothing was changed: restore it from a backup (it records which CA generations are in use)`,
    { details: { stateDir: state.path } },
  );
}
