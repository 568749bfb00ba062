import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { TLS_ALERT, checkPeerCertificate, deviceUri, fingerprint, newDeviceId } from '@palyra/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNodeVerifyCallback, identifyNode, verifyNodeCertificate } from '../../src/quic/nodeCertificates.js';
import type { PeerIdentityLookup } from '../../src/rpc/authenticatePeer.js';
import type { NodeRecord } from '../../src/registry/types.js';

const DAY = 24 * 60 * 60 * 1000;

interface Issued {
  der: Buffer;
  deviceId: string;
}

let ca: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey; x509: X509Certificate };
let stranger: typeof ca;
let leafKeys: forge.pki.rsa.KeyPair;

function makeCa(name: string): typeof ca {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 1024 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - DAY);
  cert.validity.notAfter = new Date(Date.now() + 365 * DAY);
  cert.setSubject([{ name: 'commonName', value: name }]);
  cert.setIssuer([{ name: 'commonName', value: name }]);
  cert.setExtensions([{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, critical: true }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { cert, key: keys.privateKey, x509: new X509Certificate(der) };
}

function issue(by: typeof ca, options: { notBefore?: Date; notAfter?: Date; clientAuth?: boolean; deviceId?: string | null } = {}): Issued {
  const deviceId = options.deviceId === undefined ? newDeviceId() : (options.deviceId ?? '');
  const cert = forge.pki.createCertificate();
  cert.publicKey = leafKeys.publicKey;
  cert.serialNumber = '02';
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - DAY);
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + 30 * DAY);
  cert.setSubject([{ name: 'commonName', value: deviceId || 'no-device' }]);
  cert.setIssuer(by.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'extKeyUsage', clientAuth: options.clientAuth ?? true, serverAuth: options.clientAuth === false },
    ...(deviceId === '' ? [] : [{ name: 'subjectAltName', altNames: [{ type: 6, value: deviceUri(deviceId) }] }]),
  ]);
  cert.sign(by.key, forge.md.sha256.create());
  return { der: Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary'), deviceId };
}

function registry(nodes: Array<{ issued: Issued; certExpiresAt?: string }>, revoked: string[] = []): PeerIdentityLookup {
  const byFingerprint = new Map<string, NodeRecord>();
  for (const { issued, certExpiresAt } of nodes) {
    const fp = fingerprint(issued.der);
    byFingerprint.set(fp, {
      deviceId: issued.deviceId,
      name: 'n',
      platform: 'linux-x64',
      hostname: 'h',
      agentVersion: '0',
      capabilities: [],
      labels: {},
      ed25519PublicKey: '',
      x25519PublicKey: '',
      certFingerprint: fp,
      certExpiresAt: certExpiresAt ?? new Date(Date.now() + 30 * DAY).toISOString(),
      pairedAt: new Date().toISOString(),
      lastSeen: null,
    });
  }
  return { isRevoked: (fp) => revoked.includes(fp), nodeForFingerprint: (fp) => byFingerprint.get(fp) };
}

beforeAll(() => {
  leafKeys = forge.pki.rsa.generateKeyPair({ bits: 1024 });
  ca = makeCa('Test CA');
  stranger = makeCa('Stranger CA');
});

describe('QUIC node certificate verification', () => {
  it('accepts the current certificate of a registered node', async () => {
    const node = issue(ca);
    const verify = createNodeVerifyCallback(ca.x509, registry([{ issued: node }]));
    expect(await verify([node.der], [])).toBeUndefined();
  });

  it('answers each problem with its TLS alert', async () => {
    const good = issue(ca);
    const expired = issue(ca, { notBefore: new Date(Date.now() - 3 * DAY), notAfter: new Date(Date.now() - DAY) });
    const early = issue(ca, { notBefore: new Date(Date.now() + DAY) });
    const foreign = issue(stranger);
    const serverProfile = issue(ca, { clientAuth: false });
    const noDevice = issue(ca, { deviceId: null });
    const unregistered = issue(ca);
    const revoked = issue(ca);
    const lookup = registry(
      [good, expired, early, foreign, serverProfile, noDevice, revoked].map((issued) => ({ issued })),
      [fingerprint(revoked.der)],
    );
    const verify = createNodeVerifyCallback(ca.x509, lookup);
    expect(await verify([], [])).toBe(TLS_ALERT.CERTIFICATE_REQUIRED);
    expect(await verify([foreign.der], [])).toBe(TLS_ALERT.UNKNOWN_CA);
    expect(await verify([expired.der], [])).toBe(TLS_ALERT.CERTIFICATE_EXPIRED);
    expect(await verify([early.der], [])).toBe(TLS_ALERT.BAD_CERTIFICATE);
    expect(await verify([serverProfile.der], [])).toBe(TLS_ALERT.BAD_CERTIFICATE);
    expect(await verify([noDevice.der], [])).toBe(TLS_ALERT.BAD_CERTIFICATE);
    expect(await verify([unregistered.der], [])).toBe(TLS_ALERT.CERTIFICATE_UNKNOWN);
    expect(await verify([revoked.der], [])).toBe(TLS_ALERT.CERTIFICATE_REVOKED);
    expect(await verify([good.der], [])).toBeUndefined();
  });

  it('refuses a registration whose recorded expiry has passed, and a device id that does not match', () => {
    const node = issue(ca);
    const lapsed = registry([{ issued: node, certExpiresAt: new Date(Date.now() - 1000).toISOString() }]);
    expect(verifyNodeCertificate(node.der, ca.x509, lapsed, new Date())?.alert).toBe(TLS_ALERT.CERTIFICATE_EXPIRED);
    const other = issue(ca);
    const swapped = registry([{ issued: { der: node.der, deviceId: other.deviceId } }]);
    expect(verifyNodeCertificate(node.der, ca.x509, swapped, new Date())?.alert).toBe(TLS_ALERT.BAD_CERTIFICATE);
  });

  it('never throws: garbage, and a lookup that throws, become alerts', async () => {
    const node = issue(ca);
    const throwing: PeerIdentityLookup = {
      isRevoked: () => {
        throw new Error('registry exploded');
      },
      nodeForFingerprint: () => undefined,
    };
    const verify = createNodeVerifyCallback(ca.x509, throwing);
    expect(await verify([node.der], [])).toBe(TLS_ALERT.INTERNAL_ERROR);
    const garbage = createNodeVerifyCallback(ca.x509, registry([]));
    expect(await garbage([Buffer.from('not a certificate')], [])).toBe(TLS_ALERT.BAD_CERTIFICATE);
    expect(await garbage([new Uint8Array(0)], [])).toBe(TLS_ALERT.CERTIFICATE_REQUIRED);
    expect(checkPeerCertificate(Buffer.from([0x30, 0x00]), ca.x509, 'node').ok).toBe(false);
  });

  it('identifyNode re-checks on every stream: revoked since the handshake is refused', () => {
    const node = issue(ca);
    const revokedLater = registry([{ issued: node }], [fingerprint(node.der)]);
    const outcome = identifyNode(node.der, revokedLater);
    expect('problem' in outcome && outcome.problem.error.code).toBe('PALYRA_E_PERMISSION_DENIED');
  });
});
