import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { PalyraError } from '@palyra/shared/errors';
import { derToPem, fingerprint, parseCertificate, pemToDer } from '@palyra/shared/x509';
import { BACKDATE_MS, CA_KEY_BITS, CA_VALIDITY_YEARS } from './constants.js';
import { signCertificate, subjectNameAsn1, randomSerialHex, wholeSeconds } from './utils.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** What a CA generation is doing: issuing, still trusted while nodes move off it, or no longer trusted. */
export type CaRole = 'signing' | 'retiring' | 'retired';

/** A CA generation's key and certificate, checked (they match, self-signed CA, not expired). */
export class CaGeneration {
  readonly certPem: string;
  /** SHA-256 of certDer, lowercase hex: what nodes pin. */
  readonly fingerprint: string;
  readonly notAfter: Date;
  readonly x509: X509Certificate;
  readonly publicKey: KeyObject;
  /** The subject Name as ASN.1, copied byte for byte into the issuer of what this CA signs. */
  readonly subject: forge.asn1.Asn1;
  readonly subjectAttributes: forge.pki.CertificateField[];
  /** The subjectKeyIdentifier as forge bytes, for the authorityKeyIdentifier of leaves. */
  readonly keyIdentifier: string;

  constructor(
    /** 1 for the first CA (`ca.key` / `ca.crt`), then 2, 3, ... (`ca-<id>.key` / `ca-<id>.crt`). */
    readonly id: number,
    readonly key: KeyObject,
    readonly certDer: Buffer,
  ) {
    this.certPem = derToPem(certDer, 'CERTIFICATE');
    this.fingerprint = fingerprint(certDer);
    this.x509 = new X509Certificate(certDer);
    this.publicKey = createPublicKey(key);
    this.notAfter = parseCertificate(certDer).notAfter;
    this.subject = subjectNameAsn1(certDer);
    const forgeCa = forge.pki.certificateFromAsn1(forge.asn1.fromDer(certDer.toString('binary')));
    this.subjectAttributes = forgeCa.subject.attributes;
    const ski = forgeCa.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
    this.keyIdentifier =
      ski?.subjectKeyIdentifier !== undefined ? forge.util.hexToBytes(ski.subjectKeyIdentifier) : forgeCa.generateSubjectKeyIdentifier().getBytes();
  }

  /** Did this CA issue `der` (issuer name and signature)? */
  issued(der: Uint8Array): boolean {
    try {
      const leaf = new X509Certificate(der);
      return leaf.checkIssued(this.x509) && leaf.verify(this.publicKey);
    } catch {
      return false;
    }
  }

  /** Signs a leaf with this CA's key and checks the result verifies against the CA before handing it out. */
  signLeaf(cert: forge.pki.Certificate): Buffer {
    cert.setIssuer(this.subjectAttributes);
    const der = signCertificate(cert, this.key, this.subject);
    if (!this.issued(der)) throw new PalyraError('PALYRA_E_INTERNAL', 'an issued certificate does not verify against the CA');
    return der;
  }

  /** notAfter capped at this CA's own expiry. */
  capToCa(date: Date): Date {
    return date.getTime() > this.notAfter.getTime() ? new Date(this.notAfter) : date;
  }

  /**
   * Checks a generation found on disk; `problem` turns a reason into the caller's
   * PALYRA_E_CA_INVALID (which names the files and what to do).
   */
  static check(
    id: number,
    keyBytes: Buffer,
    certBytes: Buffer,
    names: { key: string; cert: string },
    problem: (reason: string, cause?: unknown) => PalyraError,
    now: Date = new Date(),
    { allowExpired = false }: { allowExpired?: boolean } = {},
  ): CaGeneration {
    let key: KeyObject;
    try {
      key = createPrivateKey(keyBytes);
    } catch (error) {
      throw problem(`${names.key} could not be read as a private key (${reason(error)})`, error);
    }
    if (key.asymmetricKeyType !== 'rsa') {
      throw problem(`${names.key} holds a ${key.asymmetricKeyType ?? 'unknown'} key; the CA key must be RSA`);
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
      throw problem(`${names.cert} could not be read as a certificate (${reason(error)})`, error);
    }
    if (!x509.checkPrivateKey(key)) throw problem(`${names.key} does not match the certificate in ${names.cert}`);
    if (!x509.ca || !x509.verify(x509.publicKey) || !x509.checkIssued(x509)) throw problem(`${names.cert} is not a self-signed CA certificate`);
    const notAfter = parseCertificate(certDer).notAfter;
    if (!allowExpired && notAfter.getTime() <= now.getTime()) throw problem(`the CA certificate in ${names.cert} expired on ${notAfter.toISOString()}`);
    return new CaGeneration(id, key, certDer);
  }

  /** A new root key and self-signed certificate (ten years), in memory only. */
  static async generate(id: number, signal?: AbortSignal, now: Date = new Date()): Promise<CaGeneration> {
    const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: CA_KEY_BITS, publicExponent: 0x10001 });
    signal?.throwIfAborted();
    const notBefore = wholeSeconds(now.getTime() - BACKDATE_MS);
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
    return new CaGeneration(id, privateKey, certDer);
  }

  /** PKCS#8 PEM of the key, to store. */
  keyPem(): string {
    return this.key.export({ type: 'pkcs8', format: 'pem' }).toString();
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
