import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmod, copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  EKU_CLIENT_AUTH,
  EKU_SERVER_AUTH,
  PalyraError,
  createCsr,
  generateTlsKeyPair,
  newDeviceId,
  parseCertificate,
  pemToDer,
  type TlsKeyPair,
} from '@palyra/shared';
import { CertificateAuthority } from '../../src/ca/index.js';
import { serverCertificateDue } from '../../src/ca/serverCertificateDue.js';

const run = promisify(execFile);
const DAY = 24 * 60 * 60 * 1000;

async function openssl(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  const child = run('openssl', args, { encoding: 'utf8' });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return child;
}

/** Runs `fn` and returns the PalyraError it must throw. */
async function palyraError(fn: () => Promise<unknown> | unknown): Promise<PalyraError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PalyraError);
    return error as PalyraError;
  }
  throw new Error('expected a PalyraError, nothing was thrown');
}

function mode(stats: { mode: number }): number {
  return stats.mode & 0o777;
}

let root: string;
let stateDir: string;
let ca: CertificateAuthority;
let foreignDir: string;
let foreign: CertificateAuthority;
let nodeKeys: TlsKeyPair;
const scratch: string[] = [];

async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(join(root, 'case-'));
  scratch.push(dir);
  return dir;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'palyra-ca-'));
  stateDir = join(root, 'state');
  foreignDir = join(root, 'foreign');
  [ca, foreign, nodeKeys] = await Promise.all([
    CertificateAuthority.loadOrCreate({ stateDir }),
    CertificateAuthority.loadOrCreate({ stateDir: foreignDir }),
    generateTlsKeyPair(),
  ]);
});

afterEach(async () => {
  await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

afterAll(async () => {
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

describe('CertificateAuthority: the root', () => {
  it('creates a 0700 state dir, a 0600 ca.key and a self-signed CA certificate', async () => {
    expect(mode(await stat(stateDir))).toBe(0o700);
    expect(mode(await stat(join(stateDir, 'ca.key')))).toBe(0o600);
    const keyPem = await readFile(join(stateDir, 'ca.key'), 'utf8');
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);

    const certPem = await readFile(join(stateDir, 'ca.crt'), 'utf8');
    expect(certPem).toBe(ca.caCertPem);
    const parsed = parseCertificate(certPem);
    expect(parsed.fingerprint).toBe(ca.caFingerprint);
    expect(ca.caFingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(parsed.isCA).toBe(true);
    expect(parsed.subjectCommonName).toMatch(/^Palyra CA [0-9a-f]{8}$/);
    const years = (parsed.notAfter.getTime() - parsed.notBefore.getTime()) / (365.25 * DAY);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
    // 128-bit positive serial (at most 17 bytes with the sign byte).
    expect(parsed.serialNumber.replace(/^0+/, '').length).toBeGreaterThan(20);

    const x509 = new X509Certificate(ca.caCertDer);
    expect(x509.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    const { stdout } = await openssl(['x509', '-noout', '-text', '-in', join(stateDir, 'ca.crt')]);
    expect(stdout).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(stdout).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(stdout).toMatch(/Subject Key Identifier/);
    expect(stdout).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
    await expect(openssl(['verify', '-CAfile', join(stateDir, 'ca.crt'), join(stateDir, 'ca.crt')])).resolves.toMatchObject({
      stdout: expect.stringContaining('OK'),
    });
  });

  it('loads the same CA on restart', async () => {
    const again = await CertificateAuthority.loadOrCreate({ stateDir });
    expect(again.caFingerprint).toBe(ca.caFingerprint);
    expect(again.caCertDer.equals(ca.caCertDer)).toBe(true);
    expect(foreign.caFingerprint).not.toBe(ca.caFingerprint);
  });

  it('refuses a corrupt ca.key and leaves it untouched', async () => {
    const dir = await scratchDir();
    await copyFile(join(stateDir, 'ca.crt'), join(dir, 'ca.crt'));
    const garbage = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n';
    await writeFile(join(dir, 'ca.key'), garbage, { mode: 0o600 });
    const error = await palyraError(() => CertificateAuthority.loadOrCreate({ stateDir: dir }));
    expect(error.code).toBe('PALYRA_E_CA_INVALID');
    expect(error.message).toContain('ca.key');
    expect(await readFile(join(dir, 'ca.key'), 'utf8')).toBe(garbage);
  });

  it('refuses a ca.key that does not match ca.crt, and a missing half', async () => {
    const dir = await scratchDir();
    await copyFile(join(stateDir, 'ca.crt'), join(dir, 'ca.crt'));
    const foreignKey = await readFile(join(foreignDir, 'ca.key'));
    await writeFile(join(dir, 'ca.key'), foreignKey, { mode: 0o600 });
    const mismatch = await palyraError(() => CertificateAuthority.loadOrCreate({ stateDir: dir }));
    expect(mismatch.code).toBe('PALYRA_E_CA_INVALID');
    expect(mismatch.message).toMatch(/does not match/);
    expect((await readFile(join(dir, 'ca.key'))).equals(foreignKey)).toBe(true);

    await rm(join(dir, 'ca.crt'));
    const missing = await palyraError(() => CertificateAuthority.loadOrCreate({ stateDir: dir }));
    expect(missing.code).toBe('PALYRA_E_CA_INVALID');
    expect(missing.message).toMatch(/ca\.crt is missing/);
    expect((await readFile(join(dir, 'ca.key'))).equals(foreignKey)).toBe(true);
  });

  it('refuses a group-readable key file and an open state dir, naming the chmod', async () => {
    const dir = await scratchDir();
    await copyFile(join(stateDir, 'ca.crt'), join(dir, 'ca.crt'));
    await copyFile(join(stateDir, 'ca.key'), join(dir, 'ca.key'));
    await chmod(join(dir, 'ca.key'), 0o640);
    const keyError = await palyraError(() => CertificateAuthority.loadOrCreate({ stateDir: dir }));
    expect(keyError.code).toBe('PALYRA_E_STATE_PERMISSIONS');
    expect(keyError.message).toContain(`chmod 600 ${join(dir, 'ca.key')}`);

    await chmod(join(dir, 'ca.key'), 0o600);
    await chmod(dir, 0o750);
    const dirError = await palyraError(() => CertificateAuthority.loadOrCreate({ stateDir: dir }));
    expect(dirError.code).toBe('PALYRA_E_STATE_PERMISSIONS');
    expect(dirError.message).toContain(`chmod 700 ${dir}`);

    await chmod(dir, 0o700);
    const loaded = await CertificateAuthority.loadOrCreate({ stateDir: dir });
    expect(loaded.caFingerprint).toBe(ca.caFingerprint);
  });

  it('honours an aborted signal', async () => {
    const dir = join(await scratchDir(), 'never');
    const error = await CertificateAuthority.loadOrCreate({ stateDir: dir, signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('CertificateAuthority: server certificate', () => {
  it('issues a serverAuth certificate for the hosts that openssl accepts', async () => {
    const server = await ca.ensureServerCertificate({ hosts: ['palyra.example.org', '10.1.2.3', '::1', '0.0.0.0'] });
    expect(server.issued).toBe(true);
    expect(mode(await stat(join(stateDir, 'server.key')))).toBe(0o600);
    expect(await readFile(join(stateDir, 'server.crt'), 'utf8')).toBe(server.certPem);
    expect(await readFile(join(stateDir, 'server.key'), 'utf8')).toBe(server.keyPem);

    const parsed = parseCertificate(server.certDer);
    expect(parsed.fingerprint).toBe(server.fingerprint);
    expect(parsed.subjectCommonName).toBe('palyrad');
    expect(parsed.isDaemonServer).toBe(true);
    expect(parsed.deviceId).toBeNull();
    expect(parsed.isCA).toBe(false);
    expect(parsed.extKeyUsage).toEqual([EKU_SERVER_AUTH]);
    expect(parsed.subjectAltNames.dns.sort()).toEqual(['localhost', 'palyra.example.org']);
    expect(parsed.subjectAltNames.ip.sort()).toEqual(['10.1.2.3', '127.0.0.1', '::1']);
    expect(parsed.subjectAltNames.uri).toEqual(['urn:palyra:daemon']);
    const days = (parsed.notAfter.getTime() - Date.now()) / DAY;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThanOrEqual(365);

    const { stdout } = await openssl(['verify', '-CAfile', join(stateDir, 'ca.crt'), '-purpose', 'sslserver', join(stateDir, 'server.crt')]);
    expect(stdout).toContain(': OK');
  });

  it('reuses a covering certificate and reissues for a new host', async () => {
    const first = await ca.ensureServerCertificate({ hosts: ['palyra.example.org'] });
    const again = await ca.ensureServerCertificate({ hosts: ['PALYRA.example.org.', 'localhost'] });
    expect(again.issued).toBe(false);
    expect(again.fingerprint).toBe(first.fingerprint);

    // A restarted daemon reuses it too.
    const restarted = await CertificateAuthority.loadOrCreate({ stateDir });
    expect((await restarted.ensureServerCertificate({ hosts: ['palyra.example.org'] })).fingerprint).toBe(first.fingerprint);

    const wider = await ca.ensureServerCertificate({ hosts: ['palyra.example.org', 'other.example.org'] });
    expect(wider.issued).toBe(true);
    expect(wider.fingerprint).not.toBe(first.fingerprint);
    expect(parseCertificate(wider.certDer).subjectAltNames.dns.sort()).toEqual(['localhost', 'other.example.org', 'palyra.example.org']);
  });

  it('replaces a server certificate that another CA issued', async () => {
    const dir = await scratchDir();
    for (const file of ['ca.key', 'ca.crt']) await copyFile(join(stateDir, file), join(dir, file));
    const foreignServer = await foreign.ensureServerCertificate({ hosts: [] });
    await writeFile(join(dir, 'server.key'), foreignServer.keyPem, { mode: 0o600 });
    await writeFile(join(dir, 'server.crt'), foreignServer.certPem);
    const local = await CertificateAuthority.loadOrCreate({ stateDir: dir });
    const server = await local.ensureServerCertificate({ hosts: [] });
    expect(server.issued).toBe(true);
    expect(new X509Certificate(server.certDer).verify(new X509Certificate(ca.caCertDer).publicKey)).toBe(true);
  });

  it('rejects a malformed host', async () => {
    const error = await palyraError(() => ca.ensureServerCertificate({ hosts: ['bad host!'] }));
    expect(error.code).toBe('PALYRA_E_INVALID_ARGUMENT');
  });

  it('issues short-lived server certificates on request, replaces longer-lived ones, and renews with force', async () => {
    const dir = await scratchDir();
    for (const file of ['ca.key', 'ca.crt']) await copyFile(join(stateDir, file), join(dir, file));
    const local = await CertificateAuthority.loadOrCreate({ stateDir: dir });
    const year = await local.ensureServerCertificate({ hosts: [] });
    // A year-long certificate on disk is not what a daemon asking for 40 s wants.
    const short = await local.ensureServerCertificate({ hosts: [], validityMs: 40_000 });
    expect(short.issued).toBe(true);
    expect(short.fingerprint).not.toBe(year.fingerprint);
    // Back-dated by at most a quarter of the lifetime (10 s here, not 5 min), so it is not due at once.
    expect(short.notAfter.getTime() - short.notBefore.getTime()).toBeLessThanOrEqual(52_000);
    expect(serverCertificateDue(short, new Date())).toBe(false);
    expect((await local.ensureServerCertificate({ hosts: [], validityMs: 40_000 })).fingerprint).toBe(short.fingerprint);
    const forced = await local.ensureServerCertificate({ hosts: [], validityMs: 40_000, force: true });
    expect(forced.issued).toBe(true);
    expect(forced.fingerprint).not.toBe(short.fingerprint);
    expect(await readFile(join(dir, 'server.crt'), 'utf8')).toBe(forced.certPem);
    expect((await palyraError(() => local.ensureServerCertificate({ hosts: [], validityMs: 10 }))).code).toBe('PALYRA_E_INVALID_ARGUMENT');
  });

  it('counts a server certificate due once less than a third of its lifetime is left', () => {
    const notBefore = new Date('2026-01-01T00:00:00Z');
    const notAfter = new Date('2026-01-31T00:00:00Z');
    expect(serverCertificateDue({ notBefore, notAfter }, new Date('2026-01-20T23:59:00Z'))).toBe(false);
    expect(serverCertificateDue({ notBefore, notAfter }, new Date('2026-01-21T00:01:00Z'))).toBe(true);
    expect(serverCertificateDue({ notBefore, notAfter }, new Date('2026-02-02T00:00:00Z'))).toBe(true);
  });
});

describe('CertificateAuthority: node certificates', () => {
  it('issues a clientAuth certificate bound to the device id, ignoring the CSR subject', async () => {
    const deviceId = newDeviceId();
    // The CSR asks for another subject, a daemon URI, serverAuth and CA:true: all ignored.
    const dir = await scratchDir();
    await writeFile(join(dir, 'node.key'), nodeKeys.privateKeyPem, { mode: 0o600 });
    const { stdout: csrPem } = await openssl([
      'req', '-new', '-key', join(dir, 'node.key'), '-subj', '/CN=palyrad/O=Evil',
      '-addext', 'subjectAltName=URI:urn:palyra:daemon,DNS:evil.example,URI:urn:palyra:device:01ARZ3NDEKTSV4RRFFQ69G5FAV',
      '-addext', 'extendedKeyUsage=serverAuth', '-addext', 'basicConstraints=critical,CA:TRUE',
    ]);
    const before = Date.now();
    const issued = await ca.signNodeCsr({ csrDer: pemToDer(csrPem, 'CERTIFICATE REQUEST'), deviceId });
    const after = Date.now();

    const parsed = parseCertificate(issued.certDer);
    expect(parsed.fingerprint).toBe(issued.fingerprint);
    expect(parsed.subjectCommonName).toBe(deviceId);
    expect(parsed.deviceId).toBe(deviceId);
    expect(parsed.isDaemonServer).toBe(false);
    expect(parsed.isCA).toBe(false);
    expect(parsed.extKeyUsage).toEqual([EKU_CLIENT_AUTH]);
    expect(parsed.subjectAltNames).toEqual({ dns: [], ip: [], uri: [`urn:palyra:device:${deviceId}`] });
    expect(parsed.notAfter.getTime()).toBe(issued.notAfter.getTime());
    // Default lifetime: 24 hours (nodes renew at two thirds of it).
    expect(issued.notAfter.getTime() - before).toBeGreaterThan(DAY - 2000);
    // From the CA's own clock, read between before and after (it failed by 1 ms when signing
    // started a millisecond after `before` across a second boundary).
    expect(issued.notAfter.getTime() - after).toBeLessThanOrEqual(DAY);
    expect(before - parsed.notBefore.getTime()).toBeGreaterThanOrEqual(5 * 60 * 1000 - 1000);
    expect(before - parsed.notBefore.getTime()).toBeLessThan(5 * 60 * 1000 + 2000);
    expect(parsed.serialNumber).toBe(issued.serialNumber);

    const x509 = new X509Certificate(issued.certDer);
    expect(x509.subject).toBe(`CN=${deviceId}`);
    expect(x509.publicKey.export({ type: 'spki', format: 'pem' })).toBe(nodeKeys.publicKeyPem);

    await writeFile(join(dir, 'node.crt'), issued.certPem);
    const { stdout: text } = await openssl(['x509', '-noout', '-text', '-in', join(dir, 'node.crt')]);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment/);
    // The AKI names the CA's SKI, so verifiers can build the chain.
    const { stdout: caText } = await openssl(['x509', '-noout', '-text', '-in', join(stateDir, 'ca.crt')]);
    const caSki = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(caText)?.[1];
    const aki = /Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-F:]+)/.exec(text)?.[1];
    expect(caSki).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){19}$/);
    expect(aki).toBe(caSki);
    expect(text).not.toMatch(/Evil|evil\.example/);
    const { stdout } = await openssl(['verify', '-CAfile', join(stateDir, 'ca.crt'), '-purpose', 'sslclient', join(dir, 'node.crt')]);
    expect(stdout).toContain(': OK');
  });

  it('takes validityMs', async () => {
    const deviceId = newDeviceId();
    const issued = await ca.signNodeCsr({
      csrDer: createCsr({ deviceId, privateKeyPem: nodeKeys.privateKeyPem }),
      deviceId,
      validityMs: 2 * DAY,
    });
    const days = (issued.notAfter.getTime() - Date.now()) / DAY;
    expect(days).toBeGreaterThan(1.99);
    expect(days).toBeLessThanOrEqual(2);
    const short = await ca.signNodeCsr({ csrDer: createCsr({ deviceId, privateKeyPem: nodeKeys.privateKeyPem }), deviceId, validityMs: 90_000 });
    expect(short.notAfter.getTime() - Date.now()).toBeLessThanOrEqual(90_000);
    expect(short.notAfter.getTime() - Date.now()).toBeGreaterThan(85_000);
    for (const validityMs of [0, -1, 999, 366 * DAY, Number.NaN]) {
      const error = await palyraError(() =>
        ca.signNodeCsr({ csrDer: createCsr({ deviceId, privateKeyPem: nodeKeys.privateKeyPem }), deviceId, validityMs }),
      );
      expect(error.code).toBe('PALYRA_E_INVALID_ARGUMENT');
    }
  });

  it('checkRenewalCsr refuses a CSR whose CN is another device id', async () => {
    const deviceId = newDeviceId();
    const other = newDeviceId();
    ca.checkRenewalCsr(createCsr({ deviceId, privateKeyPem: nodeKeys.privateKeyPem }), deviceId);
    const error = await palyraError(async () => {
      ca.checkRenewalCsr(createCsr({ deviceId: other, privateKeyPem: nodeKeys.privateKeyPem }), deviceId);
    });
    expect(error.code).toBe('PALYRA_E_RENEWAL_REFUSED');
    expect(error.message).toContain(other);
  });

  it('rejects a tampered CSR', async () => {
    const deviceId = newDeviceId();
    const csr = createCsr({ deviceId, privateKeyPem: nodeKeys.privateKeyPem });
    // Change one character of the CN inside CertificationRequestInfo.
    const tampered = Buffer.from(csr);
    const at = tampered.indexOf(Buffer.from(deviceId, 'latin1'));
    expect(at).toBeGreaterThan(0);
    tampered[at + 25] = tampered[at + 25] === 0x30 ? 0x31 : 0x30;
    const error = await palyraError(() => ca.signNodeCsr({ csrDer: tampered, deviceId }));
    expect(error.code).toBe('PALYRA_E_CERT_INVALID');
    expect(error.message).toMatch(/self-signature does not verify/);
    expect(() => ca.checkCsr(tampered)).toThrow(PalyraError);

    // A flipped signature bit, and plain garbage.
    const badSignature = Buffer.from(csr);
    badSignature[badSignature.length - 1] ^= 0x01;
    expect((await palyraError(() => ca.signNodeCsr({ csrDer: badSignature, deviceId }))).code).toBe('PALYRA_E_CERT_INVALID');
    expect((await palyraError(() => ca.signNodeCsr({ csrDer: Buffer.from('not a csr'), deviceId }))).code).toBe(
      'PALYRA_E_CERT_INVALID',
    );
    expect(() => ca.checkCsr(csr)).not.toThrow();
  });

  it('rejects a CSR with a 1024-bit key, or a non-RSA key', async () => {
    const dir = await scratchDir();
    const deviceId = newDeviceId();
    const { stdout: small } = await openssl([
      'req', '-new', '-newkey', 'rsa:1024', '-nodes', '-keyout', join(dir, 'small.key'), '-subj', `/CN=${deviceId}`,
    ]);
    const error = await palyraError(() => ca.signNodeCsr({ csrDer: pemToDer(small, 'CERTIFICATE REQUEST'), deviceId }));
    expect(error.code).toBe('PALYRA_E_CERT_INVALID');
    expect(error.message).toMatch(/1024 bits; at least 2048/);

    const { stdout: ec } = await openssl([
      'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ec.key'),
      '-subj', `/CN=${deviceId}`,
    ]);
    const ecError = await palyraError(() => ca.signNodeCsr({ csrDer: pemToDer(ec, 'CERTIFICATE REQUEST'), deviceId }));
    expect(ecError.code).toBe('PALYRA_E_CERT_INVALID');
    expect(ecError.message).toMatch(/not RSA/);
  });

  it('rejects a SHA-1 signed CSR and a bad device id', async () => {
    const dir = await scratchDir();
    const deviceId = newDeviceId();
    await writeFile(join(dir, 'node.key'), nodeKeys.privateKeyPem, { mode: 0o600 });
    const { stdout: sha1 } = await openssl(['req', '-new', '-sha1', '-key', join(dir, 'node.key'), '-subj', `/CN=${deviceId}`]);
    const error = await palyraError(() => ca.signNodeCsr({ csrDer: pemToDer(sha1, 'CERTIFICATE REQUEST'), deviceId }));
    expect(error.code).toBe('PALYRA_E_CERT_INVALID');
    expect(error.message).toMatch(/sha256WithRSAEncryption/);

    const csrDer = createCsr({ deviceId, privateKeyPem: nodeKeys.privateKeyPem });
    expect((await palyraError(() => ca.signNodeCsr({ csrDer, deviceId: deviceId.toLowerCase() }))).code).toBe(
      'PALYRA_E_INVALID_ARGUMENT',
    );
  });
});

describe('CertificateAuthority: mTLS', () => {
  interface Outcome {
    clientData?: string;
    clientError?: Error;
    serverPeer?: string;
    serverError?: Error;
    /** Why the server's check of the client certificate against the CA failed (OpenSSL's code). */
    serverAuthorizationError?: string;
  }

  async function handshake(client: { key: string; cert: string }): Promise<Outcome> {
    const server = await ca.ensureServerCertificate({ hosts: [] });
    const outcome: Outcome = {};
    const tlsServer = tls.createServer(
      // The server refuses an unverified client itself, after recording why: with
      // rejectUnauthorized, Node drops it without saying (the error is a bare ECONNRESET).
      { key: server.keyPem, cert: server.certPem, ca: [ca.caCertPem], requestCert: true, rejectUnauthorized: false },
      (socket) => {
        if (!socket.authorized) {
          outcome.serverAuthorizationError = String(socket.authorizationError);
          socket.destroy();
          return;
        }
        const peer = parseCertificate(socket.getPeerCertificate().raw);
        outcome.serverPeer = peer.deviceId ?? 'none';
        socket.end(`hello ${outcome.serverPeer}`);
      },
    );
    tlsServer.on('tlsClientError', (error) => {
      outcome.serverError = error;
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const address = tlsServer.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      await new Promise<void>((resolve) => {
        const socket = tls.connect({ host: '127.0.0.1', port: address.port, ca: [ca.caCertPem], key: client.key, cert: client.cert });
        let data = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => {
          data += chunk;
        });
        socket.on('error', (error) => {
          outcome.clientError = error;
        });
        socket.on('close', () => {
          if (data !== '') outcome.clientData = data;
          resolve();
        });
      });
    } finally {
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    }
    return outcome;
  }

  it('accepts a node certificate from this CA', async () => {
    const deviceId = newDeviceId();
    const issued = await ca.signNodeCsr({ csrDer: createCsr({ deviceId, privateKeyPem: nodeKeys.privateKeyPem }), deviceId });
    const outcome = await handshake({ key: nodeKeys.privateKeyPem, cert: issued.certPem });
    expect(outcome.clientError).toBeUndefined();
    expect(outcome.serverError).toBeUndefined();
    expect(outcome.serverAuthorizationError).toBeUndefined();
    expect(outcome.serverPeer).toBe(deviceId);
    expect(outcome.clientData).toBe(`hello ${deviceId}`);
  });

  it('rejects a node certificate from another CA', async () => {
    const deviceId = newDeviceId();
    const issued = await foreign.signNodeCsr({ csrDer: createCsr({ deviceId, privateKeyPem: nodeKeys.privateKeyPem }), deviceId });
    const outcome = await handshake({ key: nodeKeys.privateKeyPem, cert: issued.certPem });
    expect(outcome.serverPeer).toBeUndefined();
    expect(outcome.clientData).toBeUndefined();
    // The server's verification of the client certificate is what failed: its issuer is unknown.
    expect(outcome.serverAuthorizationError).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('rejects the foreign CA on the client side too', async () => {
    const deviceId = newDeviceId();
    const issued = await ca.signNodeCsr({ csrDer: createCsr({ deviceId, privateKeyPem: nodeKeys.privateKeyPem }), deviceId });
    const server = await ca.ensureServerCertificate({ hosts: [] });
    const tlsServer = tls.createServer({ key: server.keyPem, cert: server.certPem, ca: [ca.caCertPem], requestCert: true });
    tlsServer.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const address = tlsServer.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const error = await new Promise<Error>((resolve) => {
        const socket = tls.connect({
          host: '127.0.0.1',
          port: address.port,
          ca: [foreign.caCertPem],
          key: nodeKeys.privateKeyPem,
          cert: issued.certPem,
        });
        socket.on('error', resolve);
        socket.on('secureConnect', () => resolve(new Error('connected')));
      });
      expect((error as NodeJS.ErrnoException).code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
    } finally {
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    }
  });
});
