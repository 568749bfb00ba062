import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { PalyraError } from '@palyra/shared/errors';
import { displayText } from '@palyra/shared/text';
import { isValidDeviceId } from '@palyra/shared/ids';
import { DAEMON_URI, EKU_SERVER_AUTH, deviceUri, derToPem, fingerprint, generateTlsKeyPair, parseCertificate, pemToDer } from '@palyra/shared/x509';
import {
  BACKDATE_MS,
  CA_CERT_FILE,
  CA_KEY_BITS,
  CA_KEY_FILE,
  CA_VALIDITY_YEARS,
  DAY_MS,
  DEFAULT_SERVER_HOSTS,
  NODE_DEFAULT_VALIDITY_MS,
  NODE_MAX_VALIDITY_MS,
  SERVER_CERT_FILE,
  SERVER_COMMON_NAME,
  SERVER_KEY_FILE,
  SERVER_VALIDITY_DAYS,
} from './constants.js';
import { serverBackdateMs, serverCertificateDue } from './serverCertificateDue.js';
import { NodeCsr } from './NodeCsr.js';
import { PlaintextKeyFiles } from './PlaintextKeyFiles.js';
import { StateDirectory } from '@palyra/shared/fs';
import type {
  CaKeyStore,
  EnsureServerCertificateOptions,
  LoadOrCreateOptions,
  NodeCertificate,
  ServerCertificate,
  SignNodeCsrOptions,
} from './types.js';
import { normalizeHost, randomSerialHex, signCertificate, subjectNameAsn1, wholeSeconds, type HostName } from './utils.js';

const generateKeyPairAsync = promisify(generateKeyPair);

interface CaMaterial {
  key: KeyObject;
  certDer: Buffer;
}

function caInvalid(state: StateDirectory, keys: CaKeyStore, problem: string, cause?: unknown): PalyraError {
  return new PalyraError(
    'PALYRA_E_CA_INVALID',
    `${problem}. Nothing was changed in ${state.path}: restore ${keys.where(CA_KEY_FILE)} and ${CA_CERT_FILE} from a backup, ` +
      'or move the state directory away to create a new CA (every node must then pair again).',
    cause === undefined ? { details: { stateDir: state.path } } : { cause, details: { stateDir: state.path } },
  );
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The daemon's private certificate authority: an RSA-3072 root kept in the state directory,
 * the daemon's TLS server certificate, and client certificates for paired nodes.
 * Certificates are assembled with node-forge and signed with node:crypto.
 */
export class CertificateAuthority {
  readonly caCertDer: Buffer;
  readonly caCertPem: string;
  /** SHA-256 of caCertDer, lowercase hex: what nodes pin. */
  readonly caFingerprint: string;
  readonly caNotAfter: Date;
  readonly stateDir: string;

  private readonly state: StateDirectory;
  /** Where the CA and server private keys live (the daemon: its encrypted vault). */
  private readonly keys: CaKeyStore;
  private readonly caKey: KeyObject;
  private readonly caPublicKey: KeyObject;
  private readonly caX509: X509Certificate;
  private readonly caSubject: forge.asn1.Asn1;
  private readonly caKeyIdentifier: string;
  private readonly caSubjectAttributes: forge.pki.CertificateField[];
  /** Serializes ensureServerCertificate: its key and certificate are written as a pair. */
  private serverQueue: Promise<unknown> = Promise.resolve();

  private constructor(state: StateDirectory, keys: CaKeyStore, material: CaMaterial) {
    this.state = state;
    this.keys = keys;
    this.stateDir = state.path;
    this.caKey = material.key;
    this.caPublicKey = createPublicKey(material.key);
    this.caCertDer = material.certDer;
    this.caCertPem = derToPem(material.certDer, 'CERTIFICATE');
    this.caFingerprint = fingerprint(material.certDer);
    this.caX509 = new X509Certificate(material.certDer);
    this.caNotAfter = parseCertificate(material.certDer).notAfter;
    this.caSubject = subjectNameAsn1(material.certDer);
    const forgeCa = forge.pki.certificateFromAsn1(forge.asn1.fromDer(material.certDer.toString('binary')));
    this.caSubjectAttributes = forgeCa.subject.attributes;
    const ski = forgeCa.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
    this.caKeyIdentifier =
      ski?.subjectKeyIdentifier !== undefined
        ? forge.util.hexToBytes(ski.subjectKeyIdentifier)
        : forgeCa.generateSubjectKeyIdentifier().getBytes();
  }

  /**
   * Opens the state directory (creating it 0700) and loads the CA from `ca.key` / `ca.crt`,
   * or creates a new CA when neither exists. Never overwrites existing key material: a
   * missing half, an unreadable key or a key that does not match the certificate is
   * PALYRA_E_CA_INVALID; loose permissions are PALYRA_E_STATE_PERMISSIONS.
   */
  static async loadOrCreate(options: LoadOrCreateOptions): Promise<CertificateAuthority> {
    const { signal } = options;
    signal?.throwIfAborted();
    const state = await StateDirectory.open(options.stateDir);
    const keys = options.keys ?? new PlaintextKeyFiles(state);
    signal?.throwIfAborted();
    const keyBytes = await keys.read(CA_KEY_FILE);
    const certBytes = await state.readPublic(CA_CERT_FILE);
    signal?.throwIfAborted();
    if (keyBytes === null && certBytes === null) {
      return new CertificateAuthority(state, keys, await CertificateAuthority.create(state, keys, signal));
    }
    if (keyBytes === null) throw caInvalid(state, keys, `${CA_CERT_FILE} exists but ${keys.where(CA_KEY_FILE)} is missing`);
    if (certBytes === null) throw caInvalid(state, keys, `${keys.where(CA_KEY_FILE)} exists but ${CA_CERT_FILE} is missing`);
    return new CertificateAuthority(state, keys, CertificateAuthority.check(state, keys, keyBytes, certBytes));
  }

  /** Validates the CA found on disk. */
  private static check(state: StateDirectory, keys: CaKeyStore, keyBytes: Buffer, certBytes: Buffer): CaMaterial {
    let key: KeyObject;
    try {
      key = createPrivateKey(keyBytes);
    } catch (error) {
      throw caInvalid(state, keys, `${keys.where(CA_KEY_FILE)} could not be read as a private key (${reason(error)})`, error);
    }
    if (key.asymmetricKeyType !== 'rsa') {
      throw caInvalid(state, keys, `${keys.where(CA_KEY_FILE)} holds a ${key.asymmetricKeyType ?? 'unknown'} key; the CA key must be RSA`);
    }
    let certDer: Buffer;
    let x509: X509Certificate;
    try {
      certDer = pemToDer(certBytes.toString('latin1'), 'CERTIFICATE');
      x509 = new X509Certificate(certDer);
      parseCertificate(certDer);
      subjectNameAsn1(certDer);
      // The constructor reads the subject and key identifier with forge (RSA only).
      forge.pki.certificateFromAsn1(forge.asn1.fromDer(certDer.toString('binary')));
    } catch (error) {
      throw caInvalid(state, keys, `${state.file(CA_CERT_FILE)} could not be read as a certificate (${reason(error)})`, error);
    }
    if (!x509.checkPrivateKey(key)) {
      throw caInvalid(state, keys, `${keys.where(CA_KEY_FILE)} does not match the certificate in ${state.file(CA_CERT_FILE)}`);
    }
    if (!x509.ca || !x509.verify(x509.publicKey) || !x509.checkIssued(x509)) {
      throw caInvalid(state, keys, `${state.file(CA_CERT_FILE)} is not a self-signed CA certificate`);
    }
    const notAfter = parseCertificate(certDer).notAfter;
    if (notAfter.getTime() <= Date.now()) {
      throw caInvalid(state, keys, `the CA certificate in ${state.file(CA_CERT_FILE)} expired on ${notAfter.toISOString()}`);
    }
    return { key, certDer };
  }

  /** Generates the root key and self-signed certificate and writes them without overwriting anything. */
  private static async create(state: StateDirectory, keys: CaKeyStore, signal: AbortSignal | undefined): Promise<CaMaterial> {
    const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: CA_KEY_BITS, publicExponent: 0x10001 });
    signal?.throwIfAborted();

    const now = Date.now();
    const notBefore = wholeSeconds(now - BACKDATE_MS);
    const notAfter = new Date(notBefore);
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS);
    const subject = [{ name: 'commonName', value: `Palyra CA ${randomBytes(4).toString('hex')}` }];

    const cert = forge.pki.createCertificate();
    cert.version = 2;
    cert.serialNumber = randomSerialHex();
    cert.validity.notBefore = notBefore;
    cert.validity.notAfter = notAfter;
    cert.setSubject(subject);
    cert.setIssuer(subject);
    cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    cert.setExtensions([
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    const certDer = signCertificate(cert, privateKey);
    const x509 = new X509Certificate(certDer);
    if (!x509.verify(publicKey) || !x509.checkPrivateKey(privateKey)) {
      throw new PalyraError('PALYRA_E_INTERNAL', 'the new CA certificate does not verify with its own key');
    }
    signal?.throwIfAborted();

    // From here on, no cancellation: the key and the certificate are written as a pair.
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    if (!(await keys.create(CA_KEY_FILE, keyPem))) {
      throw caInvalid(state, keys, `${keys.where(CA_KEY_FILE)} appeared while a new CA was being created (is another palyrad starting?)`);
    }
    if (!(await state.createExclusive(CA_CERT_FILE, derToPem(certDer, 'CERTIFICATE'), 0o644))) {
      throw caInvalid(state, keys, `${state.file(CA_CERT_FILE)} appeared while a new CA was being created (is another palyrad starting?)`);
    }
    return { key: privateKey, certDer };
  }

  /**
   * Returns the daemon's TLS server key and certificate (CN palyrad, SANs: `hosts`,
   * localhost, 127.0.0.1 and URI urn:palyra:daemon; EKU serverAuth; one year or `validityMs`).
   * The pair on disk is reused when it was issued by this CA, matches, covers every host, is
   * not longer-lived than asked and more than a third of its lifetime is left (see
   * serverCertificateDue); otherwise, or with `force`, a new key and certificate atomically
   * replace it.
   */
  async ensureServerCertificate(options: EnsureServerCertificateOptions): Promise<ServerCertificate> {
    const { signal, validityMs = SERVER_VALIDITY_DAYS * DAY_MS, force = false } = options;
    signal?.throwIfAborted();
    if (!Number.isFinite(validityMs) || validityMs < 1_000 || validityMs > SERVER_VALIDITY_DAYS * DAY_MS) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the server certificate validity must be from 1 s to ${SERVER_VALIDITY_DAYS} days`);
    }
    const hosts = this.serverHosts(options.hosts);
    const run = this.serverQueue.then(() => this.ensureServerCertificateNow(hosts, validityMs, force, signal));
    this.serverQueue = run.catch(() => undefined);
    return run;
  }

  private serverHosts(requested: readonly string[]): HostName[] {
    if (!Array.isArray(requested)) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'hosts must be an array of strings');
    const hosts = new Map<string, HostName>();
    for (const host of [...DEFAULT_SERVER_HOSTS, ...requested]) {
      const name = normalizeHost(host);
      if (name !== null) hosts.set(`${name.kind}:${name.value}`, name);
    }
    return [...hosts.values()];
  }

  private async ensureServerCertificateNow(hosts: HostName[], validityMs: number, force: boolean, signal: AbortSignal | undefined): Promise<ServerCertificate> {
    signal?.throwIfAborted();
    const backdateMs = serverBackdateMs(validityMs, BACKDATE_MS);
    if (!force) {
      const keyBytes = await this.keys.read(SERVER_KEY_FILE);
      const certBytes = await this.state.readPublic(SERVER_CERT_FILE);
      if (keyBytes !== null && certBytes !== null) {
        const existing = this.reusableServerCertificate(keyBytes, certBytes, hosts, validityMs + backdateMs);
        if (existing !== null) return existing;
      }
    }
    signal?.throwIfAborted();

    const { privateKeyPem, publicKeyPem } = await generateTlsKeyPair(signal === undefined ? {} : { signal });
    signal?.throwIfAborted();
    const now = Date.now();
    const notBefore = wholeSeconds(now - backdateMs);
    const notAfter = this.capToCa(wholeSeconds(now + validityMs));
    const cert = forge.pki.createCertificate();
    cert.version = 2;
    cert.serialNumber = randomSerialHex();
    cert.validity.notBefore = notBefore;
    cert.validity.notAfter = notAfter;
    cert.setSubject([{ name: 'commonName', value: SERVER_COMMON_NAME }]);
    cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...hosts.map((host) => (host.kind === 'ip' ? { type: 7, ip: host.value } : { type: 2, value: host.value })),
          { type: 6, value: DAEMON_URI },
        ],
      },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: this.caKeyIdentifier },
    ]);
    const certDer = this.signLeaf(cert);

    // Key first: a crash between the two renames leaves a mismatched pair, which the next
    // call detects (checkPrivateKey) and replaces.
    const certPem = derToPem(certDer, 'CERTIFICATE');
    await this.keys.replace(SERVER_KEY_FILE, privateKeyPem);
    await this.state.replace(SERVER_CERT_FILE, certPem, 0o644);
    return { keyPem: privateKeyPem, certPem, certDer, fingerprint: fingerprint(certDer), notBefore, notAfter, issued: true };
  }

  /** The pair on disk when it can serve `hosts` and is not due for renewal (nor longer-lived than `maxLifetimeMs`), else null. */
  private reusableServerCertificate(keyBytes: Buffer, certBytes: Buffer, hosts: HostName[], maxLifetimeMs: number): ServerCertificate | null {
    try {
      const key = createPrivateKey(keyBytes);
      const certDer = pemToDer(certBytes.toString('latin1'), 'CERTIFICATE');
      const x509 = new X509Certificate(certDer);
      const parsed = parseCertificate(certDer);
      const now = Date.now();
      const dns = new Set(parsed.subjectAltNames.dns.map((name) => name.toLowerCase()));
      const ips = new Set(parsed.subjectAltNames.ip);
      const usable =
        x509.checkIssued(this.caX509) &&
        x509.verify(this.caPublicKey) &&
        x509.checkPrivateKey(key) &&
        !parsed.isCA &&
        parsed.isDaemonServer &&
        parsed.deviceId === null &&
        parsed.extKeyUsage.includes(EKU_SERVER_AUTH) &&
        parsed.notBefore.getTime() <= now + BACKDATE_MS &&
        !serverCertificateDue(parsed, new Date(now)) &&
        // Whole seconds: notBefore and notAfter are each rounded.
        parsed.notAfter.getTime() - parsed.notBefore.getTime() <= maxLifetimeMs + 2_000 &&
        hosts.every((host) => (host.kind === 'ip' ? ips.has(host.value) : dns.has(host.value)));
      if (!usable) return null;
      return {
        keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
        certPem: derToPem(certDer, 'CERTIFICATE'),
        certDer,
        fingerprint: parsed.fingerprint,
        notBefore: parsed.notBefore,
        notAfter: parsed.notAfter,
        issued: false,
      };
    } catch {
      // Unreadable or foreign material: it is replaced (the CA key is never touched here).
      return null;
    }
  }

  /**
   * Checks a node's CSR as signNodeCsr will (self-signature, RSA 2048-8192 bits, SHA-2
   * signature) without issuing anything: lets pairing refuse a bad CSR before it reaches the
   * approval queue. Throws PALYRA_E_CERT_INVALID with the reason.
   */
  checkCsr(csrDer: Uint8Array): void {
    NodeCsr.parse(csrDer);
  }

  /**
   * checkCsr, and the CSR's subject CN must be `deviceId` (PALYRA_E_RENEWAL_REFUSED
   * otherwise): a renewal must never carry a request made for another device. The CN is the
   * node's text: escaped in the message (it is logged, and printed on a terminal).
   */
  checkRenewalCsr(csrDer: Uint8Array, deviceId: string): void {
    const csr = NodeCsr.parse(csrDer);
    if (csr.commonName !== deviceId) {
      throw new PalyraError(
        'PALYRA_E_RENEWAL_REFUSED',
        `the renewal CSR names ${csr.commonName === undefined ? 'no single device' : `device ${displayText(csr.commonName.slice(0, 64))}`}, not device ${deviceId}`,
      );
    }
  }

  /**
   * Issues a client certificate for a paired node from its CSR. Only the CSR's public key is
   * used, after checking its self-signature and size (PALYRA_E_CERT_INVALID otherwise): the
   * certificate carries CN = deviceId, URI SAN urn:palyra:device:<deviceId>, EKU clientAuth,
   * keyUsage digitalSignature+keyEncipherment, CA:false, and is valid from now-5min until
   * now + `validityMs` (default 24 h), never past the CA's own expiry.
   */
  async signNodeCsr(options: SignNodeCsrOptions): Promise<NodeCertificate> {
    const { csrDer, deviceId, validityMs = NODE_DEFAULT_VALIDITY_MS, signal } = options;
    signal?.throwIfAborted();
    if (!isValidDeviceId(deviceId)) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `"${String(deviceId)}" is not a valid device id (ULID)`);
    }
    if (typeof validityMs !== 'number' || !Number.isFinite(validityMs) || validityMs < 1000 || validityMs > NODE_MAX_VALIDITY_MS) {
      throw new PalyraError(
        'PALYRA_E_INVALID_ARGUMENT',
        `validityMs must be a number from 1000 (1 s) to ${NODE_MAX_VALIDITY_MS} (365 days), got ${String(validityMs)}`,
      );
    }
    const csr = NodeCsr.parse(csrDer);
    signal?.throwIfAborted();

    const now = Date.now();
    const notBefore = wholeSeconds(now - BACKDATE_MS);
    const notAfter = this.capToCa(wholeSeconds(now + validityMs));
    const cert = forge.pki.createCertificate();
    cert.version = 2;
    cert.serialNumber = randomSerialHex();
    cert.validity.notBefore = notBefore;
    cert.validity.notAfter = notAfter;
    cert.setSubject([{ name: 'commonName', value: deviceId }]);
    cert.publicKey = csr.publicKey;
    cert.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 6, value: deviceUri(deviceId) }] },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: this.caKeyIdentifier },
    ]);
    const certDer = this.signLeaf(cert);
    return {
      certDer,
      certPem: derToPem(certDer, 'CERTIFICATE'),
      fingerprint: fingerprint(certDer),
      notAfter,
      serialNumber: new X509Certificate(certDer).serialNumber.toLowerCase(),
    };
  }

  /** Signs with the CA key and checks the result verifies against the CA before handing it out. */
  private signLeaf(cert: forge.pki.Certificate): Buffer {
    cert.setIssuer(this.caSubjectAttributes);
    const der = signCertificate(cert, this.caKey, this.caSubject);
    const x509 = new X509Certificate(der);
    if (!x509.checkIssued(this.caX509) || !x509.verify(this.caPublicKey)) {
      throw new PalyraError('PALYRA_E_INTERNAL', 'an issued certificate does not verify against the CA');
    }
    return der;
  }

  private capToCa(date: Date): Date {
    return date.getTime() > this.caNotAfter.getTime() ? new Date(this.caNotAfter) : date;
  }
}
