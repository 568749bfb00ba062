import { randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import forge from 'node-forge';
import { PalyraError } from '@palyra/shared/errors';
import { OID_SHA256_WITH_RSA } from '@palyra/shared/x509';

/** Functions node-forge has but @types/node-forge does not declare. */
const pki = forge.pki as typeof forge.pki & {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
};

export function toForgeBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('binary');
}

export function toDer(asn1: forge.asn1.Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

/** Strict DER parse (definite lengths, no trailing bytes) with BIT STRINGs decoded as forge expects. */
export function parseDer(der: Uint8Array, decodeBitStrings = true): forge.asn1.Asn1 {
  const fromDer = forge.asn1.fromDer as unknown as (
    bytes: string,
    options: { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean },
  ) => forge.asn1.Asn1;
  return fromDer(toForgeBytes(der), { strict: true, parseAllBytes: true, decodeBitStrings });
}

/** The subject Name of a DER certificate, as ASN.1, to be copied byte for byte as an issuer. */
export function subjectNameAsn1(certDer: Uint8Array): forge.asn1.Asn1 {
  const cert = parseDer(certDer, false);
  const tbs = Array.isArray(cert.value) ? cert.value[0] : undefined;
  if (tbs === undefined || !Array.isArray(tbs.value)) throw new Error('malformed certificate');
  const first = tbs.value[0];
  const offset = first?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && first.type === 0 ? 1 : 0;
  const subject = tbs.value[offset + 4];
  if (subject === undefined) throw new Error('malformed certificate');
  return subject;
}

/**
 * A random positive 128-bit serial number, as the minimal two's-complement hex forge
 * writes verbatim into the INTEGER (a 00 prefix when the top bit is set).
 */
export function randomSerialHex(): string {
  for (;;) {
    const value = BigInt(`0x${randomBytes(16).toString('hex')}`);
    if (value === 0n) continue;
    let hex = value.toString(16);
    if (hex.length % 2 === 1) hex = `0${hex}`;
    return Number.parseInt(hex.slice(0, 1), 16) >= 8 ? `00${hex}` : hex;
  }
}

/** Second precision (what UTCTime keeps), so in-memory and encoded dates agree. */
export function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

/**
 * Signs a forge certificate with node:crypto (sha256WithRSAEncryption over the DER
 * TBSCertificate; forge's own sign() is pure JS and slow) and returns the certificate DER.
 * `issuerName`, when given, replaces the TBS issuer so it matches the CA subject byte for byte.
 */
export function signCertificate(cert: forge.pki.Certificate, issuerKey: KeyObject, issuerName?: forge.asn1.Asn1): Buffer {
  cert.siginfo.algorithmOid = OID_SHA256_WITH_RSA;
  cert.signatureOid = OID_SHA256_WITH_RSA;
  const tbs = pki.getTBSCertificate(cert);
  if (issuerName !== undefined) {
    if (!Array.isArray(tbs.value)) throw new Error('malformed TBSCertificate');
    // getTBSCertificate always writes: [0] version, serial, signature, issuer, ...
    tbs.value[3] = issuerName;
  }
  cert.signature = sign('sha256', toDer(tbs), issuerKey).toString('binary');
  cert.tbsCertificate = tbs;
  return toDer(forge.pki.certificateToAsn1(cert));
}

export type HostName = { kind: 'ip'; value: string } | { kind: 'dns'; value: string };

// Underscores are not valid in host names (RFC 1123) but common in machine names; TLS accepts them.
const DNS_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Classifies a host for a server certificate SAN: IPv4/IPv6 (brackets and zone ids dropped,
 * IPv6 compressed as RFC 5952) or a DNS name (IDN to punycode, lowercase, no trailing dot,
 * no wildcard; underscores tolerated). Returns null for the unspecified addresses (0.0.0.0, ::), which only mean
 * "listen everywhere". Throws PALYRA_E_INVALID_ARGUMENT for anything else.
 */
export function normalizeHost(input: string): HostName | null {
  let host = typeof input === 'string' ? input.trim() : '';
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const zone = host.indexOf('%');
  if (zone !== -1 && isIP(host.slice(0, zone)) === 6) host = host.slice(0, zone);
  const family = isIP(host);
  if (family === 4) return host === '0.0.0.0' ? null : { kind: 'ip', value: host };
  if (family === 6) {
    const value = new URL(`http://[${host}]/`).hostname.slice(1, -1);
    return value === '::' ? null : { kind: 'ip', value };
  }
  const ascii = domainToASCII(host.endsWith('.') ? host.slice(0, -1) : host);
  const labels = ascii.split('.');
  if (ascii.length === 0 || ascii.length > 253 || !labels.every((label) => DNS_LABEL.test(label))) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `"${String(input)}" is not a valid host name or IP address for the server certificate`);
  }
  // A name made only of digits and dots that is not an IPv4 address is not a host name either.
  if (labels.every((label) => /^[0-9]+$/.test(label))) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `"${String(input)}" is not a valid IP address`);
  }
  return { kind: 'dns', value: ascii };
}
