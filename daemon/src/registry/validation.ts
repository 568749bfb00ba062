/**
 * Hand-written strict validation of the runtime state document: every record, every field
 * (type, enum, format), no unknown fields, no duplicate ids. A failure names the JSON path,
 * e.g. `nodes[3].certFingerprint: expected 64 lowercase hex chars`.
 */
import { Buffer } from 'node:buffer';
import { ULID_PATTERN } from '@palyra/shared/ids';
import {
  RUNTIME_STATE_VERSION,
  type NodeRecord,
  type PairingCodeDerivation,
  type PairingCodeRecord,
  type PairingCodeState,
  type PairingMethod,
  type PairingRequestRecord,
  type PairingRequestState,
  type RevokedCertRecord,
  type RuntimeState,
} from './types.js';

export class StateValidationError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'StateValidationError';
  }
}

type Json = Record<string, unknown>;

const METHODS: readonly PairingMethod[] = ['pin', 'qr'];
const CODE_STATES: readonly PairingCodeState[] = ['active', 'used', 'burned', 'expired', 'superseded'];
const REQUEST_STATES: readonly PairingRequestState[] = ['pending_approval', 'approved', 'rejected', 'expired'];

const ID_RE = /^[A-Za-z0-9_-]{1,128}$/;
const FINGERPRINT_RE = /^[0-9a-f]{64}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;
const MAX_TEXT = 1024;

function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function object(value: unknown, path: string, required: readonly string[], optional: readonly string[] = []): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StateValidationError(path || '(root)', `expected an object, got ${typeName(value)}`);
  }
  const record = value as Json;
  for (const key of required) {
    if (!Object.hasOwn(record, key)) throw new StateValidationError(at(path, key), 'missing');
  }
  for (const key of Object.keys(record)) {
    if (!required.includes(key) && !optional.includes(key)) {
      throw new StateValidationError(at(path, key), 'unknown field');
    }
  }
  return record;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new StateValidationError(path, `expected an array, got ${typeName(value)}`);
  return value;
}

function string(value: unknown, path: string, { min = 0, max = MAX_TEXT }: { min?: number; max?: number } = {}): string {
  if (typeof value !== 'string') throw new StateValidationError(path, `expected a string, got ${typeName(value)}`);
  if (value.length < min) throw new StateValidationError(path, min === 1 ? 'must not be empty' : `expected at least ${min} chars`);
  if (value.length > max) throw new StateValidationError(path, `expected at most ${max} chars, got ${value.length}`);
  return value;
}

function matching(value: unknown, path: string, re: RegExp, expected: string): string {
  const text = string(value, path, { max: Number.MAX_SAFE_INTEGER });
  if (!re.test(text)) throw new StateValidationError(path, `expected ${expected}`);
  return text;
}

function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new StateValidationError(path, `expected one of ${allowed.map((v) => `"${v}"`).join(', ')}`);
  }
  return value as T;
}

function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw new StateValidationError(path, `expected a boolean, got ${typeName(value)}`);
  return value;
}

function count(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new StateValidationError(path, 'expected a non-negative integer');
  }
  return value;
}

function timestamp(value: unknown, path: string): string {
  const text = matching(value, path, ISO_RE, 'an ISO-8601 UTC timestamp (YYYY-MM-DDTHH:mm:ss.sssZ)');
  const ms = Date.parse(text);
  // Date.parse rolls 02-30 over to 03-01; the round trip catches it.
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 19) !== text.slice(0, 19)) {
    throw new StateValidationError(path, 'expected a valid date and time');
  }
  return text;
}

function base64(value: unknown, path: string, { bytes, der = false }: { bytes?: number; der?: boolean } = {}): string {
  const text = string(value, path, { min: 1, max: Number.MAX_SAFE_INTEGER });
  // Node's decoder skips what is not base64, but its encoder only writes canonical padded
  // base64: a text that survives the round trip is canonical (padded, standard alphabet, and
  // stricter: no stray bits in the last character). A regex over every CSR and certificate
  // in the state cost more than the rest of the validation on each save.
  const decoded = Buffer.from(text, 'base64');
  if (decoded.toString('base64') !== text) {
    throw new StateValidationError(path, 'expected canonical base64');
  }
  if (bytes !== undefined && decoded.length !== bytes) {
    throw new StateValidationError(path, `expected base64 of ${bytes} bytes, got ${decoded.length}`);
  }
  if (der && decoded[0] !== 0x30) throw new StateValidationError(path, 'expected base64 of DER (an ASN.1 SEQUENCE)');
  return text;
}

const id = (value: unknown, path: string): string => matching(value, path, ID_RE, '1-128 chars of [A-Za-z0-9_-]');
const deviceId = (value: unknown, path: string): string => matching(value, path, ULID_PATTERN, 'a ULID (26 upper-case Crockford base32 chars)');
const fingerprint = (value: unknown, path: string): string => matching(value, path, FINGERPRINT_RE, '64 lowercase hex chars');

function stringList(value: unknown, path: string): string[] {
  return array(value, path).map((item, i) => string(item, at(path, i), { min: 1 }));
}

function labels(value: unknown, path: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StateValidationError(path, `expected an object, got ${typeName(value)}`);
  }
  const record = value as Json;
  for (const [key, label] of Object.entries(record)) {
    string(key, `${path}[${JSON.stringify(key)}] (key)`, { min: 1, max: 256 });
    string(label, `${path}[${JSON.stringify(key)}]`);
  }
  return record as Record<string, string>;
}

export function validatePairingCode(value: unknown, path: string): PairingCodeRecord {
  const r = object(value, path, ['id', 'method', 'createdAt', 'expiresAt', 'attempts', 'state']);
  id(r.id, at(path, 'id'));
  oneOf(r.method, at(path, 'method'), METHODS);
  timestamp(r.createdAt, at(path, 'createdAt'));
  timestamp(r.expiresAt, at(path, 'expiresAt'));
  count(r.attempts, at(path, 'attempts'));
  oneOf(r.state, at(path, 'state'), CODE_STATES);
  return r as unknown as PairingCodeRecord;
}

/** The in-memory secret of a new code (never part of the state document). */
export function validateCodeDerivation(value: unknown, path: string): PairingCodeDerivation {
  const r = object(value, path, ['prs', 'salt']);
  base64(r.prs, at(path, 'prs'));
  base64(r.salt, at(path, 'salt'));
  return r as unknown as PairingCodeDerivation;
}

export function validatePairingRequest(value: unknown, path: string): PairingRequestRecord {
  const r = object(
    value,
    path,
    [
      'requestId', 'deviceId', 'codeId', 'method', 'name', 'platform', 'hostname', 'agentVersion', 'capabilities',
      'remoteAddress', 'ed25519PublicKey', 'x25519PublicKey', 'csr', 'sas', 'repair', 'requestedAt', 'expiresAt', 'state',
    ],
    ['decidedAt', 'certificate'],
  );
  id(r.requestId, at(path, 'requestId'));
  deviceId(r.deviceId, at(path, 'deviceId'));
  id(r.codeId, at(path, 'codeId'));
  oneOf(r.method, at(path, 'method'), METHODS);
  string(r.name, at(path, 'name'));
  string(r.platform, at(path, 'platform'));
  string(r.hostname, at(path, 'hostname'));
  string(r.agentVersion, at(path, 'agentVersion'));
  stringList(r.capabilities, at(path, 'capabilities'));
  string(r.remoteAddress, at(path, 'remoteAddress'));
  base64(r.ed25519PublicKey, at(path, 'ed25519PublicKey'), { bytes: 32 });
  base64(r.x25519PublicKey, at(path, 'x25519PublicKey'), { bytes: 32 });
  base64(r.csr, at(path, 'csr'), { der: true });
  string(r.sas, at(path, 'sas'), { min: 1 });
  boolean(r.repair, at(path, 'repair'));
  timestamp(r.requestedAt, at(path, 'requestedAt'));
  timestamp(r.expiresAt, at(path, 'expiresAt'));
  const state = oneOf(r.state, at(path, 'state'), REQUEST_STATES);
  if (r.decidedAt !== undefined) timestamp(r.decidedAt, at(path, 'decidedAt'));
  if (r.certificate !== undefined) base64(r.certificate, at(path, 'certificate'), { der: true });
  if (state === 'pending_approval' && r.decidedAt !== undefined) {
    throw new StateValidationError(at(path, 'decidedAt'), 'must be absent while the request is pending_approval');
  }
  if (state !== 'pending_approval' && r.decidedAt === undefined) {
    throw new StateValidationError(at(path, 'decidedAt'), `missing (required when state is "${state}")`);
  }
  if (state === 'approved' && r.certificate === undefined) {
    throw new StateValidationError(at(path, 'certificate'), 'missing (required when state is "approved")');
  }
  if (state !== 'approved' && r.certificate !== undefined) {
    throw new StateValidationError(at(path, 'certificate'), `must be absent when state is "${state}"`);
  }
  return r as unknown as PairingRequestRecord;
}

export function validateNode(value: unknown, path: string): NodeRecord {
  const r = object(value, path, [
    'deviceId', 'name', 'platform', 'hostname', 'agentVersion', 'capabilities', 'labels', 'ed25519PublicKey',
    'x25519PublicKey', 'certFingerprint', 'certExpiresAt', 'pairedAt', 'lastSeen',
  ], [
    'certIssuedAt', 'certCaFingerprint', 'previousCertFingerprint', 'previousCertExpiresAt', 'previousCertCaFingerprint', 'lastRenewedAt', 'trustedCaFingerprints', 'operatorLabels',
  ]);
  deviceId(r.deviceId, at(path, 'deviceId'));
  string(r.name, at(path, 'name'));
  string(r.platform, at(path, 'platform'));
  string(r.hostname, at(path, 'hostname'));
  string(r.agentVersion, at(path, 'agentVersion'));
  stringList(r.capabilities, at(path, 'capabilities'));
  labels(r.labels, at(path, 'labels'));
  if (r.operatorLabels !== undefined) labels(r.operatorLabels, at(path, 'operatorLabels'));
  base64(r.ed25519PublicKey, at(path, 'ed25519PublicKey'), { bytes: 32 });
  base64(r.x25519PublicKey, at(path, 'x25519PublicKey'), { bytes: 32 });
  fingerprint(r.certFingerprint, at(path, 'certFingerprint'));
  timestamp(r.certExpiresAt, at(path, 'certExpiresAt'));
  timestamp(r.pairedAt, at(path, 'pairedAt'));
  if (r.lastSeen !== null) timestamp(r.lastSeen, at(path, 'lastSeen'));
  if (r.certIssuedAt !== undefined) timestamp(r.certIssuedAt, at(path, 'certIssuedAt'));
  if (r.certCaFingerprint !== undefined) fingerprint(r.certCaFingerprint, at(path, 'certCaFingerprint'));
  if ((r.previousCertFingerprint === undefined) !== (r.previousCertExpiresAt === undefined)) {
    throw new StateValidationError(at(path, 'previousCertFingerprint'), 'previousCertFingerprint and previousCertExpiresAt go together');
  }
  if (r.previousCertFingerprint !== undefined) {
    fingerprint(r.previousCertFingerprint, at(path, 'previousCertFingerprint'));
    if (r.previousCertFingerprint === r.certFingerprint) throw new StateValidationError(at(path, 'previousCertFingerprint'), 'must differ from certFingerprint');
  }
  if (r.previousCertExpiresAt !== undefined) timestamp(r.previousCertExpiresAt, at(path, 'previousCertExpiresAt'));
  if (r.previousCertCaFingerprint !== undefined) {
    if (r.previousCertFingerprint === undefined) throw new StateValidationError(at(path, 'previousCertCaFingerprint'), 'only with previousCertFingerprint');
    fingerprint(r.previousCertCaFingerprint, at(path, 'previousCertCaFingerprint'));
  }
  if (r.lastRenewedAt !== undefined) timestamp(r.lastRenewedAt, at(path, 'lastRenewedAt'));
  if (r.trustedCaFingerprints !== undefined) {
    const list = array(r.trustedCaFingerprints, at(path, 'trustedCaFingerprints'));
    if (list.length > 8) throw new StateValidationError(at(path, 'trustedCaFingerprints'), `expected at most 8 entries, got ${list.length}`);
    list.forEach((fp, i) => fingerprint(fp, at(at(path, 'trustedCaFingerprints'), i)));
  }
  return r as unknown as NodeRecord;
}

export function validateRevoked(value: unknown, path: string): RevokedCertRecord {
  const r = object(value, path, ['fingerprint', 'deviceId', 'revokedAt', 'reason'], ['expiresAt']);
  fingerprint(r.fingerprint, at(path, 'fingerprint'));
  deviceId(r.deviceId, at(path, 'deviceId'));
  timestamp(r.revokedAt, at(path, 'revokedAt'));
  string(r.reason, at(path, 'reason'));
  if (r.expiresAt !== undefined) timestamp(r.expiresAt, at(path, 'expiresAt'));
  return r as unknown as RevokedCertRecord;
}

function unique<T>(
  items: readonly T[],
  path: string,
  key: (item: T) => string | undefined,
  problem: (key: string, first: string) => string,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first !== undefined) throw new StateValidationError(at(path, i), problem(k, at(path, first)));
    seen.set(k, i);
  });
}

/**
 * Validates a whole state document. Assumes `version` was checked by the caller when it
 * matters to tell "unknown version" from "corrupt"; here any version but 1 is a failure.
 */
export function validateRuntimeState(value: unknown): RuntimeState {
  const r = object(value, '', ['version', 'pairingCodes', 'requests', 'nodes', 'revoked']);
  if (r.version !== RUNTIME_STATE_VERSION) throw new StateValidationError('version', `expected ${RUNTIME_STATE_VERSION}`);
  const codes = array(r.pairingCodes, 'pairingCodes').map((c, i) => validatePairingCode(c, at('pairingCodes', i)));
  const requests = array(r.requests, 'requests').map((q, i) => validatePairingRequest(q, at('requests', i)));
  const nodes = array(r.nodes, 'nodes').map((n, i) => validateNode(n, at('nodes', i)));
  const revoked = array(r.revoked, 'revoked').map((v, i) => validateRevoked(v, at('revoked', i)));

  const dup = (field: string) => (k: string, first: string) => `duplicate ${field} ${k} (also in ${first})`;
  unique(codes, 'pairingCodes', (c) => c.id, dup('id'));
  unique(
    codes,
    'pairingCodes',
    (c) => (c.method === 'pin' && c.state === 'active' ? 'pin' : undefined),
    (_k, first) => `a second active PIN code (${first} is active too; only one may be)`,
  );
  unique(requests, 'requests', (q) => q.requestId, dup('requestId'));
  unique(
    requests,
    'requests',
    (q) => (q.state === 'pending_approval' ? q.deviceId : undefined),
    (k, first) => `a second pending request for deviceId ${k} (${first} is pending too)`,
  );
  unique(nodes, 'nodes', (n) => n.deviceId, dup('deviceId'));
  unique(nodes, 'nodes', (n) => n.certFingerprint, dup('certFingerprint'));
  unique(revoked, 'revoked', (v) => v.fingerprint, dup('fingerprint'));
  return r as unknown as RuntimeState;
}
