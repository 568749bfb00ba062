import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PalyraError } from '../../src/errors/index.js';
import {
  EKU_CLIENT_AUTH,
  EKU_SERVER_AUTH,
  createCsr,
  derToPem,
  fingerprint,
  generateTlsKeyPair,
  parseCertificate,
  pemToDer,
  type TlsKeyPair,
} from '../../src/x509/index.js';
import { deviceIdTime, isValidDeviceId, newDeviceId, newDispatchId, newPairingRequestId } from '../../src/ids/index.js';

const run = promisify(execFile);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PalyraError);
    return (error as PalyraError).code;
  }
  throw new Error('expected a PalyraError');
}

let dir: string;
let keys: TlsKeyPair;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'palyra-x509-'));
  keys = await generateTlsKeyPair();
  await writeFile(join(dir, 'key.pem'), keys.privateKeyPem, { mode: 0o600 });
});

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** A certificate made by the openssl CLI, so parsing is not only checked against our own output. */
async function opensslCert(name: string, extensions: string[], subject = '/CN=test'): Promise<string> {
  const out = join(dir, `${name}.crt`);
  await run('openssl', [
    'req', '-x509', '-utf8', '-key', join(dir, 'key.pem'), '-subj', subject, '-days', '3', '-out', out,
    ...extensions.flatMap((extension) => ['-addext', extension]),
  ]);
  return readFile(out, 'utf8');
}

describe('fingerprint and PEM', () => {
  it('fingerprints with SHA-256 lowercase hex', () => {
    expect(fingerprint(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(fingerprint(new Uint8Array(0))).toMatch(/^[0-9a-f]{64}$/);
  });

  it('round-trips DER through PEM with 64-char lines', () => {
    const der = Buffer.alloc(200, 7);
    const pem = derToPem(der, 'CERTIFICATE');
    expect(pem.startsWith('-----BEGIN CERTIFICATE-----\n')).toBe(true);
    expect(pem.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
    for (const line of pem.trim().split('\n').slice(1, -1)) expect(line.length).toBeLessThanOrEqual(64);
    expect(pemToDer(pem).equals(der)).toBe(true);
    expect(pemToDer(pem.replace(/\n/g, '\r\n'), 'CERTIFICATE').equals(der)).toBe(true);
    // A view into a larger buffer encodes only its own bytes.
    expect(pemToDer(derToPem(new Uint8Array(der.buffer, der.byteOffset + 10, 5), 'X')).length).toBe(5);
  });

  it('picks the block with the requested label', () => {
    const bundle = derToPem(Buffer.from([1, 2, 3]), 'PRIVATE KEY') + derToPem(Buffer.from([4, 5, 6]), 'CERTIFICATE');
    expect([...pemToDer(bundle, 'CERTIFICATE')]).toEqual([4, 5, 6]);
    expect([...pemToDer(bundle)]).toEqual([1, 2, 3]);
    expect(codeOf(() => pemToDer(bundle, 'CERTIFICATE REQUEST'))).toBe('PALYRA_E_INVALID_ARGUMENT');
  });

  it('stays linear on hostile input', () => {
    const started = performance.now();
    for (const hostile of [
      '-----BEGIN x-----'.repeat(100_000),
      '-----BEGIN CERTIFICATE-----'.repeat(100_000),
      `${'-----BEGIN X-----'.repeat(100_000)}-----END X-----`,
    ]) {
      expect(codeOf(() => pemToDer(hostile, 'CERTIFICATE'))).toBe('PALYRA_E_INVALID_ARGUMENT');
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('rejects malformed PEM', () => {
    expect(codeOf(() => pemToDer('no pem here'))).toBe('PALYRA_E_INVALID_ARGUMENT');
    expect(codeOf(() => pemToDer('-----BEGIN CERTIFICATE-----\nAA*A\n-----END CERTIFICATE-----\n'))).toBe('PALYRA_E_INVALID_ARGUMENT');
    expect(codeOf(() => pemToDer('-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n'))).toBe('PALYRA_E_INVALID_ARGUMENT');
    expect(
      codeOf(() => pemToDer('-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END RSA PRIVATE KEY-----\n')),
    ).toBe('PALYRA_E_INVALID_ARGUMENT');
  });
});

describe('device ids', () => {
  it('generates unique, valid ULIDs carrying the current time', () => {
    const before = Date.now();
    const ids = Array.from({ length: 2000 }, () => newDeviceId());
    const after = Date.now();
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(isValidDeviceId(id)).toBe(true);
      const time = deviceIdTime(id);
      expect(time).toBeGreaterThanOrEqual(before);
      expect(time).toBeLessThanOrEqual(after);
    }
    // All 80 random bits vary: every position of the random part takes many values.
    for (let position = 10; position < 26; position++) {
      expect(new Set(ids.map((id) => id[position])).size).toBeGreaterThan(16);
    }
  });

  it('mints dispatch and pairing request ids from the same ULID generator, each distinct', () => {
    const ids = [newDispatchId(), newDispatchId(), newPairingRequestId(), newPairingRequestId()];
    expect(ids.every((id) => isValidDeviceId(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('matches the ULID spec example and encodes time', () => {
    // The ulid reference README: ulid(1469918176385) === '01ARYZ6S41TSV4RRFFQ69G5FAV'.
    expect(deviceIdTime('01ARYZ6S41TSV4RRFFQ69G5FAV')).toBe(1469918176385);
    expect(newDeviceId(1469918176385).slice(0, 10)).toBe('01ARYZ6S41');
    expect(newDeviceId(0).slice(0, 10)).toBe('0000000000');
    expect(newDeviceId(2 ** 48 - 1).slice(0, 10)).toBe('7ZZZZZZZZZ');
    expect(codeOf(() => newDeviceId(2 ** 48))).toBe('PALYRA_E_INVALID_ARGUMENT');
  });

  it('accepts only canonical ULIDs', () => {
    expect(isValidDeviceId('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe(true);
    expect(isValidDeviceId('7ZZZZZZZZZZZZZZZZZZZZZZZZZ')).toBe(true);
    for (const bad of [
      '01arz3ndektsv4rrffq69g5fav', // lowercase: one spelling per id
      '81ARZ3NDEKTSV4RRFFQ69G5FAV', // first char above 7 overflows 48 bits
      '01ARZ3NDEKTSV4RRFFQ69G5FA', // 25 chars
      '01ARZ3NDEKTSV4RRFFQ69G5FAVX', // 27 chars
      '01ARZ3NDEKTSV4RRFFQ69G5FAI', // I, L, O, U are not Crockford digits
      '01ARZ3NDEKTSV4RRFFQ69G5FAL',
      '01ARZ3NDEKTSV4RRFFQ69G5FAO',
      '01ARZ3NDEKTSV4RRFFQ69G5FAU',
      '01ARZ3NDEKTSV4RRFFQ69G5FA\n',
      '',
    ]) {
      expect(isValidDeviceId(bad), bad).toBe(false);
    }
    expect(isValidDeviceId(undefined)).toBe(false);
    expect(isValidDeviceId(42)).toBe(false);
  });
});

describe('keys and CSR', () => {
  it('generates an RSA-2048 PKCS#8 key pair', async () => {
    expect(keys.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(keys.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const key = createPrivateKey(keys.privateKeyPem);
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(createPublicKey(key).export({ type: 'spki', format: 'pem' })).toBe(keys.publicKeyPem);
  });

  it('stops on an aborted signal', async () => {
    await expect(generateTlsKeyPair({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    const controller = new AbortController();
    const pending = generateTlsKeyPair({ signal: controller.signal });
    controller.abort(new PalyraError('PALYRA_E_CANCELLED', 'stop'));
    await expect(pending).rejects.toMatchObject({ code: 'PALYRA_E_CANCELLED' });
  });

  it('creates a CSR that openssl verifies, with CN = device id', async () => {
    const deviceId = newDeviceId();
    const csr = createCsr({ deviceId, privateKeyPem: keys.privateKeyPem });
    await writeFile(join(dir, 'node.csr'), derToPem(csr, 'CERTIFICATE REQUEST'));
    const { stdout, stderr } = await run('openssl', ['req', '-in', join(dir, 'node.csr'), '-verify', '-noout', '-subject', '-text']);
    expect(`${stdout}${stderr}`).toMatch(/verify OK/i);
    expect(stdout).toContain(`CN = ${deviceId}`);
    expect(stdout).toMatch(/sha256WithRSAEncryption/);
    expect(stdout).toMatch(/Public-Key: \(2048 bit\)/);
  });

  it('refuses a bad device id or a non-RSA key', () => {
    expect(codeOf(() => createCsr({ deviceId: 'nope', privateKeyPem: keys.privateKeyPem }))).toBe('PALYRA_E_INVALID_ARGUMENT');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(codeOf(() => createCsr({ deviceId: newDeviceId(), privateKeyPem: ec }))).toBe('PALYRA_E_INVALID_ARGUMENT');
    expect(codeOf(() => createCsr({ deviceId: newDeviceId(), privateKeyPem: 'garbage' }))).toBe('PALYRA_E_INVALID_ARGUMENT');
  });
});

describe('parseCertificate', () => {
  it('reads identity, usage and validity from a node-style certificate', async () => {
    const deviceId = newDeviceId();
    const pem = await opensslCert(
      'node',
      [
        `subjectAltName=URI:urn:palyra:device:${deviceId},DNS:node.example,IP:10.0.0.1,IP:2001:db8::1`,
        'extendedKeyUsage=clientAuth',
        'basicConstraints=critical,CA:FALSE',
      ],
      `/CN=${deviceId}`,
    );
    const fromPem = parseCertificate(pem);
    const fromDer = parseCertificate(pemToDer(pem, 'CERTIFICATE'));
    expect(fromDer).toEqual(fromPem);
    expect(fromPem.fingerprint).toBe(fingerprint(pemToDer(pem, 'CERTIFICATE')));
    expect(fromPem.subjectCommonName).toBe(deviceId);
    expect(fromPem.deviceId).toBe(deviceId);
    expect(fromPem.isDaemonServer).toBe(false);
    expect(fromPem.isCA).toBe(false);
    expect(fromPem.extKeyUsage).toEqual([EKU_CLIENT_AUTH]);
    expect(fromPem.subjectAltNames).toEqual({
      dns: ['node.example'],
      ip: ['10.0.0.1', '2001:db8::1'],
      uri: [`urn:palyra:device:${deviceId}`],
    });
    expect(fromPem.serialNumber).toMatch(/^[0-9a-f]+$/);
    const days = (fromPem.notAfter.getTime() - fromPem.notBefore.getTime()) / 86_400_000;
    expect(days).toBe(3);
    expect(Math.abs(fromPem.notBefore.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('recognises the daemon URI, CA flag and several EKUs', async () => {
    const pem = await opensslCert('daemon', [
      'subjectAltName=DNS:localhost,IP:127.0.0.1,URI:urn:palyra:daemon',
      'extendedKeyUsage=serverAuth,clientAuth',
      'basicConstraints=critical,CA:TRUE',
    ]);
    const parsed = parseCertificate(pem);
    expect(parsed.isDaemonServer).toBe(true);
    expect(parsed.deviceId).toBeNull();
    expect(parsed.isCA).toBe(true);
    expect(parsed.extKeyUsage).toEqual([EKU_SERVER_AUTH, EKU_CLIENT_AUTH]);
    expect(parsed.subjectCommonName).toBe('test');
  });

  it('gives no device id when it is ambiguous or malformed, and no CN when there are two', async () => {
    const two = await opensslCert(
      'two',
      [`subjectAltName=URI:urn:palyra:device:${newDeviceId()},URI:urn:palyra:device:${newDeviceId()}`],
      '/CN=a/CN=b',
    );
    expect(parseCertificate(two).deviceId).toBeNull();
    expect(parseCertificate(two).subjectCommonName).toBeNull();
    const lower = await opensslCert('lower', [`subjectAltName=URI:urn:palyra:device:${newDeviceId().toLowerCase()}`]);
    expect(parseCertificate(lower).deviceId).toBeNull();
    const none = await opensslCert('none', []);
    expect(parseCertificate(none).deviceId).toBeNull();
    expect(parseCertificate(none).extKeyUsage).toEqual([]);
  });

  it('decodes a UTF-8 common name', async () => {
    const pem = await opensslCert('utf8', [], '/CN=Zürich ✓');
    expect(parseCertificate(pem).subjectCommonName).toBe('Zürich ✓');
  });

  it('rejects anything that is not exactly one certificate', async () => {
    const der = pemToDer(await opensslCert('plain', []), 'CERTIFICATE');
    expect(codeOf(() => parseCertificate(Buffer.from('garbage')))).toBe('PALYRA_E_CERT_INVALID');
    expect(codeOf(() => parseCertificate(Buffer.concat([der, Buffer.from([0])])))).toBe('PALYRA_E_CERT_INVALID');
    expect(codeOf(() => parseCertificate(der.subarray(0, der.length - 1)))).toBe('PALYRA_E_CERT_INVALID');
    expect(codeOf(() => parseCertificate('not pem'))).toBe('PALYRA_E_CERT_INVALID');
    expect(codeOf(() => parseCertificate(derToPem(der, 'PUBLIC KEY')))).toBe('PALYRA_E_CERT_INVALID');
  });
});
