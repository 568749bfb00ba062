import { X509Certificate, createPrivateKey } from 'node:crypto';
import forge from 'node-forge';
import { PalyraError } from '@palyra/shared/errors';
import { displayText } from '@palyra/shared/text';
import { isValidDeviceId } from '@palyra/shared/ids';
import { DAEMON_URI, EKU_SERVER_AUTH, deviceUri, derToPem, fingerprint, generateTlsKeyPair, parseCertificate, pemToDer } from '@palyra/shared/x509';
import {
  BACKDATE_MS,
  DAY_MS,
  DEFAULT_SERVER_HOSTS,
  NODE_DEFAULT_VALIDITY_MS,
  NODE_MAX_VALIDITY_MS,
  SERVER_CERT_FILE,
  SERVER_COMMON_NAME,
  SERVER_KEY_FILE,
  SERVER_VALIDITY_DAYS,
} from './constants.js';
import { CaGeneration, type CaRole } from './CaGeneration.js';
import { CA_STATE_VERSION, generationFiles, readCaState, writeCaState, type CaStateRecord } from './caState.js';
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
import { normalizeHost, randomSerialHex, wholeSeconds, type HostName } from './utils.js';

/** A CA generation as operators see it. */
export interface CaGenerationInfo {
  id: number;
  fingerprint: string;
  role: CaRole;
  notAfter: Date;
  createdAt: string;
  retiredAt?: string;
  /** PEM; absent for a retired generation (its files are no longer loaded). */
  certPem?: string;
}

/** Where a rotation stands after each durable step (a test seam: throwing there simulates a crash). */
export type RotateStep = 'key' | 'certificate' | 'state';

export interface RotateOptions {
  signal?: AbortSignal;
  /** Called (and awaited) after each durable write; a throw stops the rotation there, as a crash would. */
  afterStep?: (step: RotateStep) => void | Promise<void>;
  now?: () => Date;
}

function caInvalid(state: StateDirectory, keys: CaKeyStore, names: { key: string; cert: string }, problem: string, cause?: unknown): PalyraError {
  return new PalyraError(
    'PALYRA_E_CA_INVALID',
    `${problem}. Nothing was changed in ${state.path}: restore ${keys.where(names.key)} and ${names.cert} from a backup, ` +
      'or move the state directory away to create a new CA (every node must then pair again).',
    cause === undefined ? { details: { stateDir: state.path } } : { cause, details: { stateDir: state.path } },
  );
}

/**
 * The daemon's private certificate authority: one or more RSA-3072 roots ("generations") kept
 * in the state directory (keys in the daemon's vault), the daemon's TLS server certificate,
 * and client certificates for paired nodes. Certificates are assembled with node-forge and
 * signed with node:crypto.
 *
 * Generations (see caState.ts): the signing CA issues every node certificate; during a
 * rotation the previous one is `retiring`: still trusted, issuing nothing, until `ca finish`
 * retires it. The server certificate is issued by `serverCa`, which the daemon moves to the
 * signing CA once every node trusts it (see CaRotation).
 */
export class CertificateAuthority {
  readonly stateDir: string;

  private readonly state: StateDirectory;
  /** Where the CA and server private keys live (the daemon: its encrypted vault). */
  private readonly keys: CaKeyStore;
  private record: CaStateRecord;
  /** The loaded generations in use (not retired), oldest first. */
  private loaded: CaGeneration[];
  /** The generation that issued (or will issue) the server certificate. */
  private serverGeneration: CaGeneration;
  /** Serializes ensureServerCertificate, rotate and retire: each writes files that belong together. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(state: StateDirectory, keys: CaKeyStore, record: CaStateRecord, loaded: CaGeneration[], private readonly now: () => Date) {
    this.state = state;
    this.keys = keys;
    this.stateDir = state.path;
    this.record = record;
    this.loaded = loaded;
    // Until told otherwise, the oldest CA in use: every node trusts it.
    this.serverGeneration = loaded[0] as CaGeneration;
  }

  /** The CA nodes pin at pairing and verify the server with: the server certificate's issuer. */
  get caCertDer(): Buffer {
    return this.serverGeneration.certDer;
  }

  get caCertPem(): string {
    return this.serverGeneration.certPem;
  }

  /** SHA-256 of caCertDer, lowercase hex. */
  get caFingerprint(): string {
    return this.serverGeneration.fingerprint;
  }

  get caNotAfter(): Date {
    return this.serverGeneration.notAfter;
  }

  /** The CA that issues node certificates (the newest). */
  get signing(): CaGeneration {
    return this.loaded.at(-1) as CaGeneration;
  }

  /** The CA that issued the server certificate. */
  get serverCa(): CaGeneration {
    return this.serverGeneration;
  }

  /** Every CA whose node certificates are accepted (signing and retiring), oldest first. */
  get trusted(): readonly CaGeneration[] {
    return this.loaded;
  }

  /**
   * PEM of every trusted CA, concatenated: TLS `ca`, and what nodes are told to trust. Without
   * an expired retiring CA: nothing it issued is valid any more, and an agent refuses a bundle
   * holding an expired CA (it would then never learn the signing one).
   */
  get trustBundlePem(): string {
    return this.bundleGenerations().map((g) => g.certPem).join('');
  }

  /** SHA-256 of each CA in trustBundlePem: what a node should report it trusts. */
  get bundleFingerprints(): string[] {
    return this.bundleGenerations().map((g) => g.fingerprint);
  }

  private bundleGenerations(): CaGeneration[] {
    const now = this.now().getTime();
    const signing = this.signing;
    return this.loaded.filter((g) => g === signing || g.notAfter.getTime() > now);
  }

  get trustedFingerprints(): string[] {
    return this.loaded.map((g) => g.fingerprint);
  }

  /** A rotation has begun and not been finished (a CA is retiring). */
  get rotating(): boolean {
    return this.loaded.length > 1;
  }

  /** The first CA's fingerprint: the issuer of node certificates whose record names none. */
  get firstFingerprint(): string {
    return (this.record.generations[0] as { fingerprint: string }).fingerprint;
  }

  /** Every generation, retired ones included, oldest first. */
  get generations(): CaGenerationInfo[] {
    return this.record.generations.map((g) => {
      const loaded = this.loaded.find((l) => l.id === g.id);
      return {
        id: g.id,
        fingerprint: g.fingerprint,
        role: g.role,
        createdAt: g.createdAt,
        ...(g.retiredAt === undefined ? {} : { retiredAt: g.retiredAt }),
        notAfter: loaded?.notAfter ?? new Date(Number.NaN),
        ...(loaded === undefined ? {} : { certPem: loaded.certPem }),
      };
    });
  }

  /**
   * The CA to serve with until every node trusts the signing one: the oldest trusted CA that
   * has not expired at `now` (every node trusts the oldest; an expired one could only issue a
   * certificate expired at birth), else the signing CA.
   */
  serverFallback(now: Date = this.now()): CaGeneration {
    return this.loaded.find((g) => g.notAfter.getTime() > now.getTime()) ?? this.signing;
  }

  /** The trusted generation with this fingerprint. */
  generation(fingerprint: string): CaGeneration | undefined {
    return this.loaded.find((g) => g.fingerprint === fingerprint);
  }

  /**
   * Opens the state directory (creating it 0700) and loads the CA generations (caState.ts), or
   * creates the first CA (`ca.key` / `ca.crt`) when there is none. Never overwrites existing
   * key material: a missing half, an unreadable key, a key that does not match its certificate
   * or a certificate that is not the one the state record names is PALYRA_E_CA_INVALID; loose
   * permissions are PALYRA_E_STATE_PERMISSIONS.
   */
  static async loadOrCreate(options: LoadOrCreateOptions): Promise<CertificateAuthority> {
    const { signal, now = () => new Date() } = options;
    signal?.throwIfAborted();
    const state = await StateDirectory.open(options.stateDir);
    const keys = options.keys ?? new PlaintextKeyFiles(state);
    const record = await readCaState(state);
    signal?.throwIfAborted();
    if (record === undefined) {
      const first = generationFiles(1);
      const keyBytes = await keys.read(first.key);
      const certBytes = await state.readPublic(first.cert);
      signal?.throwIfAborted();
      let generation: CaGeneration;
      if (keyBytes === null && certBytes === null) {
        generation = await CertificateAuthority.create(state, keys, signal);
      } else {
        if (keyBytes === null) throw caInvalid(state, keys, first, `${first.cert} exists but ${keys.where(first.key)} is missing`);
        if (certBytes === null) throw caInvalid(state, keys, first, `${keys.where(first.key)} exists but ${first.cert} is missing`);
        generation = CertificateAuthority.check(state, keys, 1, keyBytes, certBytes, now());
      }
      // No state record is written for a daemon that never rotated: the first rotation writes it.
      const implicit: CaStateRecord = {
        version: CA_STATE_VERSION,
        generations: [{ id: 1, fingerprint: generation.fingerprint, role: 'signing', createdAt: generation.x509.validFrom ? new Date(generation.x509.validFrom).toISOString() : new Date().toISOString() }],
      };
      return new CertificateAuthority(state, keys, implicit, [generation], now);
    }
    const loaded: CaGeneration[] = [];
    for (const entry of record.generations) {
      if (entry.role === 'retired') continue;
      const names = generationFiles(entry.id);
      const keyBytes = await keys.read(names.key);
      const certBytes = await state.readPublic(names.cert);
      if (keyBytes === null) throw caInvalid(state, keys, names, `${keys.where(names.key)} (CA generation ${entry.id}, ${entry.role}) is missing`);
      if (certBytes === null) throw caInvalid(state, keys, names, `${state.file(names.cert)} (CA generation ${entry.id}, ${entry.role}) is missing`);
      // A retiring CA may expire before its rotation is finished (a node stayed away): the
      // daemon must still start, with the signing CA, so that `ca finish` can end it. Nothing
      // it issued is valid any more (certificates are capped at the CA's expiry).
      const generation = CertificateAuthority.check(state, keys, entry.id, keyBytes, certBytes, now(), entry.role === 'retiring');
      if (generation.fingerprint !== entry.fingerprint) {
        throw caInvalid(state, keys, names, `${state.file(names.cert)} is not the CA certificate the CA state records for generation ${entry.id} (${entry.fingerprint})`);
      }
      loaded.push(generation);
    }
    return new CertificateAuthority(state, keys, record, loaded, now);
  }

  /** Validates a CA generation found on disk. */
  private static check(state: StateDirectory, keys: CaKeyStore, id: number, keyBytes: Buffer, certBytes: Buffer, now: Date, allowExpired = false): CaGeneration {
    const names = generationFiles(id);
    return CaGeneration.check(
      id,
      keyBytes,
      certBytes,
      { key: keys.where(names.key), cert: state.file(names.cert) },
      (problem, cause) => caInvalid(state, keys, names, problem, cause),
      now,
      { allowExpired },
    );
  }

  /** Generates the first root key and self-signed certificate and writes them without overwriting anything. */
  private static async create(state: StateDirectory, keys: CaKeyStore, signal: AbortSignal | undefined): Promise<CaGeneration> {
    const generation = await CaGeneration.generate(1, signal);
    signal?.throwIfAborted();
    const names = generationFiles(1);
    // From here on, no cancellation: the key and the certificate are written as a pair.
    if (!(await keys.create(names.key, generation.keyPem()))) {
      throw caInvalid(state, keys, names, `${keys.where(names.key)} appeared while a new CA was being created (is another palyrad starting?)`);
    }
    if (!(await state.createExclusive(names.cert, generation.certPem, 0o644))) {
      throw caInvalid(state, keys, names, `${state.file(names.cert)} appeared while a new CA was being created (is another palyrad starting?)`);
    }
    return generation;
  }

  /**
   * Begins a CA rotation: a new CA key and certificate become the signing generation, the
   * current one `retiring` (still trusted). Crash-safe: the new key and certificate are written
   * under names no state record points at (`ca-<id>.key` in the vault, `ca-<id>.crt`; leftovers
   * of a crashed rotation under those names are overwritten, since nothing refers to them), and
   * only then the state record is replaced atomically. PALYRA_E_CA_ROTATION_IN_PROGRESS when a
   * CA is still retiring (finish that rotation first).
   */
  rotate(options: RotateOptions = {}): Promise<CaGeneration> {
    const run = this.queue.then(() => this.rotateNow(options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async rotateNow({ signal, afterStep, now = () => new Date() }: RotateOptions): Promise<CaGeneration> {
    signal?.throwIfAborted();
    const retiring = this.record.generations.find((g) => g.role === 'retiring');
    if (retiring !== undefined) {
      throw new PalyraError(
        'PALYRA_E_CA_ROTATION_IN_PROGRESS',
        `a CA rotation is in progress (CA ${retiring.fingerprint} is retiring): finish it with palyrad ca finish before rotating again`,
        { details: { retiring: retiring.fingerprint, signing: this.signing.fingerprint } },
      );
    }
    const id = Math.max(...this.record.generations.map((g) => g.id)) + 1;
    const generation = await CaGeneration.generate(id, signal, now());
    signal?.throwIfAborted();
    // From here on, no cancellation: the steps are ordered so that a crash between any two
    // leaves a loadable CA set.
    const names = generationFiles(id);
    await this.keys.replace(names.key, generation.keyPem());
    await afterStep?.('key');
    await this.state.replace(names.cert, generation.certPem, 0o644);
    await afterStep?.('certificate');
    const next: CaStateRecord = {
      version: CA_STATE_VERSION,
      generations: [
        ...this.record.generations.map((g) => (g.role === 'signing' ? { ...g, role: 'retiring' as const } : g)),
        { id, fingerprint: generation.fingerprint, role: 'signing', createdAt: now().toISOString() },
      ],
    };
    await writeCaState(this.state, next);
    this.record = next;
    this.loaded = [...this.loaded, generation];
    await afterStep?.('state');
    return generation;
  }

  /**
   * Ends a rotation: the retiring CA becomes `retired` and is no longer trusted (its key stays
   * in the vault, unused). The server certificate must already be issued by another CA.
   * PALYRA_E_CA_NOT_ROTATING when no CA is retiring. Returns the retired generation's fingerprint.
   */
  retire({ now = () => new Date() }: { now?: () => Date } = {}): Promise<string> {
    const run = this.queue.then(async () => {
      const retiring = this.record.generations.find((g) => g.role === 'retiring');
      if (retiring === undefined) {
        throw new PalyraError('PALYRA_E_CA_NOT_ROTATING', 'no CA rotation is in progress: start one with palyrad ca rotate');
      }
      if (this.serverGeneration.fingerprint === retiring.fingerprint) {
        throw new PalyraError('PALYRA_E_INTERNAL', 'the server certificate is still issued by the CA being retired');
      }
      const next: CaStateRecord = {
        version: CA_STATE_VERSION,
        generations: this.record.generations.map((g) => (g.id === retiring.id ? { ...g, role: 'retired' as const, retiredAt: now().toISOString() } : g)),
      };
      await writeCaState(this.state, next);
      this.record = next;
      this.loaded = this.loaded.filter((g) => g.id !== retiring.id);
      return retiring.fingerprint;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Returns the daemon's TLS server key and certificate (CN palyrad, SANs: `hosts`,
   * localhost, 127.0.0.1 and URI urn:palyra:daemon; EKU serverAuth; one year or `validityMs`).
   * The pair on disk is reused when it was issued by the requested CA (`issuer`, a trusted
   * generation's fingerprint; default: the current server CA), matches, covers every host, is
   * not longer-lived than asked and more than a third of its lifetime is left (see
   * serverCertificateDue); otherwise, or with `force`, a new key and certificate atomically
   * replace it. The issuer becomes the server CA (caCertDer, what pairing hands out).
   */
  async ensureServerCertificate(options: EnsureServerCertificateOptions): Promise<ServerCertificate> {
    const { signal, validityMs = SERVER_VALIDITY_DAYS * DAY_MS, force = false } = options;
    signal?.throwIfAborted();
    if (!Number.isFinite(validityMs) || validityMs < 1_000 || validityMs > SERVER_VALIDITY_DAYS * DAY_MS) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the server certificate validity must be from 1 s to ${SERVER_VALIDITY_DAYS} days`);
    }
    const hosts = this.serverHosts(options.hosts);
    const run = this.queue.then(() => {
      // The current server CA, unless it expired (a retiring CA past its date): a certificate
      // from it would be expired at birth.
      const current = this.serverGeneration.notAfter.getTime() > this.now().getTime() ? this.serverGeneration : this.serverFallback();
      const issuer = options.issuer === undefined ? current : this.generation(options.issuer);
      if (issuer === undefined) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `no trusted CA has the fingerprint ${String(options.issuer)}`);
      return this.ensureServerCertificateNow(issuer, hosts, validityMs, force, signal);
    });
    this.queue = run.catch(() => undefined);
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

  private async ensureServerCertificateNow(issuer: CaGeneration, hosts: HostName[], validityMs: number, force: boolean, signal: AbortSignal | undefined): Promise<ServerCertificate> {
    signal?.throwIfAborted();
    const backdateMs = serverBackdateMs(validityMs, BACKDATE_MS);
    if (!force) {
      const keyBytes = await this.keys.read(SERVER_KEY_FILE);
      const certBytes = await this.state.readPublic(SERVER_CERT_FILE);
      if (keyBytes !== null && certBytes !== null) {
        const existing = this.reusableServerCertificate(issuer, keyBytes, certBytes, hosts, validityMs + backdateMs);
        if (existing !== null) {
          this.serverGeneration = issuer;
          return existing;
        }
      }
    }
    signal?.throwIfAborted();

    const { privateKeyPem, publicKeyPem } = await generateTlsKeyPair(signal === undefined ? {} : { signal });
    signal?.throwIfAborted();
    const now = Date.now();
    const notBefore = wholeSeconds(now - backdateMs);
    const notAfter = issuer.capToCa(wholeSeconds(now + validityMs));
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
      { name: 'authorityKeyIdentifier', keyIdentifier: issuer.keyIdentifier },
    ]);
    const certDer = issuer.signLeaf(cert);

    // Key first: a crash between the two renames leaves a mismatched pair, which the next
    // call detects (checkPrivateKey) and replaces.
    const certPem = derToPem(certDer, 'CERTIFICATE');
    await this.keys.replace(SERVER_KEY_FILE, privateKeyPem);
    await this.state.replace(SERVER_CERT_FILE, certPem, 0o644);
    this.serverGeneration = issuer;
    return { keyPem: privateKeyPem, certPem, certDer, fingerprint: fingerprint(certDer), notBefore, notAfter, issued: true };
  }

  /** The pair on disk when it was issued by `issuer`, can serve `hosts` and is not due for renewal (nor longer-lived than `maxLifetimeMs`), else null. */
  private reusableServerCertificate(issuer: CaGeneration, keyBytes: Buffer, certBytes: Buffer, hosts: HostName[], maxLifetimeMs: number): ServerCertificate | null {
    try {
      const key = createPrivateKey(keyBytes);
      const certDer = pemToDer(certBytes.toString('latin1'), 'CERTIFICATE');
      const x509 = new X509Certificate(certDer);
      const parsed = parseCertificate(certDer);
      const now = Date.now();
      const dns = new Set(parsed.subjectAltNames.dns.map((name) => name.toLowerCase()));
      const ips = new Set(parsed.subjectAltNames.ip);
      const usable =
        issuer.issued(certDer) &&
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
   * now + `validityMs` (default 24 h), never past the CA's own expiry. By the signing CA unless
   * `issuer` names another trusted one; the result names it (caFingerprint).
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
    const issuer = options.issuer === undefined ? this.signing : this.generation(options.issuer);
    if (issuer === undefined) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `no trusted CA has the fingerprint ${String(options.issuer)}`);
    const notAfter = issuer.capToCa(wholeSeconds(now + validityMs));
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
      { name: 'authorityKeyIdentifier', keyIdentifier: issuer.keyIdentifier },
    ]);
    const certDer = issuer.signLeaf(cert);
    return {
      caFingerprint: issuer.fingerprint,
      certDer,
      certPem: derToPem(certDer, 'CERTIFICATE'),
      fingerprint: fingerprint(certDer),
      notAfter,
      serialNumber: new X509Certificate(certDer).serialNumber.toLowerCase(),
    };
  }
}
