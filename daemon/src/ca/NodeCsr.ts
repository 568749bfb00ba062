import { constants, createPublicKey, verify } from 'node:crypto';
import forge from 'node-forge';
import { PalyraError } from '@palyra/shared/errors';
import { CSR_MAX_BYTES, CSR_MAX_RSA_BITS, CSR_MIN_RSA_BITS, CSR_SIGNATURE_OIDS } from './constants.js';
import { parseDer, toDer } from './utils.js';

const MIN_EXPONENT = new forge.jsbn.BigInteger('65537', 10);

function rejected(reason: string, cause?: unknown): PalyraError {
  return new PalyraError('PALYRA_E_CERT_INVALID', `the node's CSR was rejected: ${reason}`, cause === undefined ? {} : { cause });
}

/**
 * A node's PKCS#10 request after the checks the CA relies on: well-formed DER, an RSA key of
 * 2048-8192 bits with a sane public exponent, a SHA-2 RSA signature, and a self-signature
 * that verifies (proof that the node holds the private key). Nothing else in the CSR
 * (requested extensions) is used; the subject's CN is read so that a renewal can refuse a
 * CSR made for another device (issuance always writes the device id itself).
 */
export class NodeCsr {
  readonly publicKey: forge.pki.rsa.PublicKey;
  readonly keyBits: number;
  /** The subject's commonName, if it has exactly one (nodes put their device id there). */
  readonly commonName: string | undefined;

  private constructor(publicKey: forge.pki.rsa.PublicKey, commonName: string | undefined) {
    this.publicKey = publicKey;
    this.keyBits = publicKey.n.bitLength();
    this.commonName = commonName;
  }

  static parse(csrDer: Uint8Array): NodeCsr {
    if (!(csrDer instanceof Uint8Array) || csrDer.byteLength === 0) throw rejected('it is empty or not bytes');
    if (csrDer.byteLength > CSR_MAX_BYTES) throw rejected(`it is ${csrDer.byteLength} bytes (limit ${CSR_MAX_BYTES})`);

    let csr: forge.pki.CertificateSigningRequest;
    try {
      csr = forge.pki.certificationRequestFromAsn1(parseDer(csrDer));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/not RSA/i.test(message)) throw rejected('its key is not RSA (only RSA keys are accepted)', error);
      throw rejected(`it is not a valid PKCS#10 request (${message})`, error);
    }

    const algorithm = csr.signatureOid === null ? undefined : CSR_SIGNATURE_OIDS[csr.signatureOid];
    if (algorithm === undefined) {
      throw rejected(
        `it is signed with ${String(csr.signatureOid)}; only ${Object.values(CSR_SIGNATURE_OIDS).join(', ')} are accepted`,
      );
    }

    const publicKey = csr.publicKey as forge.pki.rsa.PublicKey | null;
    if (publicKey === null || !('n' in publicKey) || !('e' in publicKey)) throw rejected('it carries no RSA public key');
    const bits = publicKey.n.bitLength();
    if (bits < CSR_MIN_RSA_BITS) throw rejected(`its RSA key has ${bits} bits; at least ${CSR_MIN_RSA_BITS} are required`);
    if (bits > CSR_MAX_RSA_BITS) throw rejected(`its RSA key has ${bits} bits; at most ${CSR_MAX_RSA_BITS} are accepted`);
    const e = publicKey.e;
    if (!e.testBit(0) || e.compareTo(MIN_EXPONENT) < 0 || e.bitLength() > 256) {
      throw rejected('its RSA public exponent is not an odd number between 65537 and 2^256');
    }

    let verified: boolean;
    try {
      verified = verifySelfSignature(csr, publicKey, algorithm);
    } catch (error) {
      throw rejected('its signature could not be checked', error);
    }
    if (!verified) throw rejected('its self-signature does not verify (tampered, or not signed by the key it carries)');
    const names = csr.subject.attributes.filter((attribute) => attribute.shortName === 'CN' || attribute.name === 'commonName');
    const commonName = names.length === 1 && typeof names[0]?.value === 'string' ? names[0].value : undefined;
    return new NodeCsr(publicKey, commonName);
  }
}

/** Hash of each accepted signature algorithm (the names in CSR_SIGNATURE_OIDS). */
const SIGNATURE_HASHES: Readonly<Record<string, string>> = {
  sha256WithRSAEncryption: 'sha256',
  sha384WithRSAEncryption: 'sha384',
  sha512WithRSAEncryption: 'sha512',
};

/**
 * The PKCS#1 v1.5 self-signature over the CertificationRequestInfo, checked by node:crypto:
 * forge's verify() does the RSA operation in pure JS (~4 ms on the daemon's main thread per
 * pairing). The signed bytes are the ones forge's verify() hashes: the CertificationRequestInfo
 * re-encoded from its strict-DER parse, hence identical to the bytes on the wire.
 */
function verifySelfSignature(csr: forge.pki.CertificateSigningRequest, publicKey: forge.pki.rsa.PublicKey, algorithm: string): boolean {
  const hash = SIGNATURE_HASHES[algorithm];
  const info = (csr as forge.pki.CertificateSigningRequest & { certificationRequestInfo?: forge.asn1.Asn1 }).certificationRequestInfo;
  if (hash === undefined || info === undefined || typeof csr.signature !== 'string') return false;
  const key = createPublicKey({ key: { kty: 'RSA', n: bigIntegerBase64Url(publicKey.n), e: bigIntegerBase64Url(publicKey.e) }, format: 'jwk' });
  return verify(hash, toDer(info), { key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(csr.signature, 'binary'));
}

/** A non-negative forge BigInteger as the unsigned big-endian base64url a JWK wants. */
function bigIntegerBase64Url(value: forge.jsbn.BigInteger): string {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex').toString('base64url');
}
