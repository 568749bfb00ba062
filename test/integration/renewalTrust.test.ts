/**
 * The agent's checks of what a renewal brings (issue 15): the trust bundle (bounded, CAs
 * only, roots, unexpired), the issued certificate (this device, this key, one of the trusted
 * CAs, a sane validity), and the QUIC verify callback's check against a bundle of two CAs
 * (a CA rotation). Real CAs from the daemon's CertificateAuthority.
 */
import { X509Certificate } from 'node:crypto';
import { checkPeerCertificate, createCsr, generateTlsKeyPair, newDeviceId } from '@palyra/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../daemon/src/ca/index.js';
import { certWindow, readTrustBundle, renewalDueAt, sameTrust, validateTrustBundle, verifyIssuedCertificate } from '../../agent/src/renewal/index.js';
import { CA_SETUP_TIMEOUT_MS, Scope } from './harness.js';

const scope = new Scope();
let oldCa: CertificateAuthority;
let newCa: CertificateAuthority;
let deviceId: string;
let key: { privateKeyPem: string; publicKeyPem: string };
let issuedByOld: { certDer: Buffer; certPem: string };

beforeAll(async () => {
  [oldCa, newCa] = await Promise.all([
    CertificateAuthority.loadOrCreate({ stateDir: await scope.tempDir() }),
    CertificateAuthority.loadOrCreate({ stateDir: await scope.tempDir() }),
  ]);
  deviceId = newDeviceId();
  key = await generateTlsKeyPair();
  issuedByOld = await oldCa.signNodeCsr({ csrDer: createCsr({ deviceId, privateKeyPem: key.privateKeyPem }), deviceId });
}, CA_SETUP_TIMEOUT_MS);
afterAll(() => scope.dispose());

describe('trust bundles from the daemon', () => {
  it('accepts the old and the new CA, in any order and formatting, and names them by fingerprint', () => {
    const bundle = validateTrustBundle(`${oldCa.caCertPem}\n\n${newCa.caCertPem}`, new Date());
    expect(bundle.fingerprints).toEqual([oldCa.caFingerprint, newCa.caFingerprint]);
    expect(sameTrust(bundle.pem, `${newCa.caCertPem}${oldCa.caCertPem}`)).toBe(true);
    expect(sameTrust(bundle.pem, oldCa.caCertPem)).toBe(false);
  });

  it('refuses a leaf certificate, an expired CA, garbage, a duplicate and too many or too large bundles', () => {
    const refused = (pem: string, now = new Date()): string => {
      try {
        validateTrustBundle(pem, now);
      } catch (error) {
        expect((error as { code?: string }).code).toBe('PALYRA_E_CERT_INVALID');
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused(issuedByOld.certPem)).toMatch(/not a CA/);
    expect(refused(oldCa.caCertPem, new Date(Date.now() + 20 * 366 * 24 * 3600 * 1000))).toMatch(/expired/);
    expect(refused('hello')).toMatch(/no certificate/);
    expect(refused(`${oldCa.caCertPem}${oldCa.caCertPem}`)).toMatch(/twice/);
    expect(refused(oldCa.caCertPem.repeat(9))).toMatch(/more than 8/);
    expect(refused(`${oldCa.caCertPem}${' '.repeat(70_000)}`)).toMatch(/larger than/);
  });
});

describe('the certificate a renewal issued', () => {
  it('must chain to one of the trusted CAs, name this device and carry the new key', async () => {
    const both = readTrustBundle(`${newCa.caCertPem}${oldCa.caCertPem}`).cas;
    expect(verifyIssuedCertificate(issuedByOld.certDer, both, deviceId, key.publicKeyPem, new Date()).deviceId).toBe(deviceId);
    const onlyNew = readTrustBundle(newCa.caCertPem).cas;
    expect(() => verifyIssuedCertificate(issuedByOld.certDer, onlyNew, deviceId, key.publicKeyPem, new Date())).toThrow(/not for this device and key/);
    expect(() => verifyIssuedCertificate(issuedByOld.certDer, both, newDeviceId(), key.publicKeyPem, new Date())).toThrow(/not for this device and key/);
    const otherKey = await generateTlsKeyPair();
    expect(() => verifyIssuedCertificate(issuedByOld.certDer, both, deviceId, otherKey.publicKeyPem, new Date())).toThrow(/not for this device and key/);
    const later = new Date(certWindow(issuedByOld.certPem).notAfter.getTime() + 1);
    expect(() => verifyIssuedCertificate(issuedByOld.certDer, both, deviceId, key.publicKeyPem, later)).toThrow(/expired/);
  });

  it('is scheduled from its real start, not from the backdated notBefore', () => {
    const window = certWindow(issuedByOld.certPem);
    const parsed = new X509Certificate(issuedByOld.certPem);
    // The daemon backdates notBefore by 5 minutes; the window starts at the issue itself.
    expect(window.notBefore.getTime() - Date.parse(parsed.validFrom)).toBe(5 * 60 * 1000);
    expect(renewalDueAt(window, () => 0.5).getTime()).toBeGreaterThan(Date.now());
  });
});

describe('QUIC peer check against a bundle', () => {
  it('accepts a certificate of either CA during a rotation and refuses one of a CA outside the bundle', () => {
    const leaf = issuedByOld.certDer;
    expect(checkPeerCertificate(leaf, [new X509Certificate(newCa.caCertPem), new X509Certificate(oldCa.caCertPem)], 'node').ok).toBe(true);
    expect(checkPeerCertificate(leaf, new X509Certificate(oldCa.caCertPem), 'node').ok).toBe(true);
    const refused = checkPeerCertificate(leaf, [new X509Certificate(newCa.caCertPem)], 'node');
    expect(refused.ok).toBe(false);
  });
});
