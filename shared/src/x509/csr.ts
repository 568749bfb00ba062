import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { PalyraError } from '../errors/index.js';
import { OID_SHA256_WITH_RSA } from './constants.js';
import { isValidDeviceId } from '../ids/index.js';
import { forgePki, fromForgeBytes, toDer, toForgeBytes } from './utils.js';

export interface CreateCsrOptions {
  /** The node's device id (ULID); becomes the CSR's CN. The daemon sets the real subject. */
  deviceId: string;
  /** The node's RSA private key, PEM (PKCS#8 or PKCS#1). */
  privateKeyPem: string;
}

/**
 * A PKCS#10 CSR (DER) with CN = deviceId, signed sha256WithRSAEncryption with node:crypto.
 * The daemon ignores everything in it but the public key and the proof of possession.
 */
export function createCsr(options: CreateCsrOptions): Buffer {
  const { deviceId, privateKeyPem } = options;
  if (!isValidDeviceId(deviceId)) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `"${String(deviceId)}" is not a valid device id (ULID)`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch (error) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'the private key PEM could not be read', { cause: error });
  }
  if (privateKey.asymmetricKeyType !== 'rsa') {
    throw new PalyraError(
      'PALYRA_E_INVALID_ARGUMENT',
      `the CSR key must be RSA, got ${privateKey.asymmetricKeyType ?? 'an unknown key type'}`,
    );
  }
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  csr.setSubject([{ name: 'commonName', value: deviceId }]);
  csr.signatureOid = OID_SHA256_WITH_RSA;
  csr.siginfo.algorithmOid = csr.signatureOid;
  const info = forgePki.getCertificationRequestInfo(csr);
  csr.certificationRequestInfo = info;
  csr.signature = toForgeBytes(sign('sha256', toDer(info), privateKey));
  return fromForgeBytes(forge.asn1.toDer(forge.pki.certificationRequestToAsn1(csr)).getBytes());
}
