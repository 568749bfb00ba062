import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { PalyraError } from '../errors/index.js';
import { DAEMON_URI, DEVICE_URI_PREFIX } from './constants.js';
import { isValidDeviceId } from '../ids/index.js';
import { fingerprint, pemToDer } from './pem.js';
import { fromForgeBytes, parseDer } from './utils.js';

export interface SubjectAltNames {
  /** dNSName entries, as written in the certificate. */
  dns: string[];
  /** iPAddress entries: dotted IPv4 or compressed lowercase IPv6. */
  ip: string[];
  /** uniformResourceIdentifier entries. */
  uri: string[];
}

export interface ParsedCertificate {
  der: Buffer;
  /** SHA-256 of the DER, lowercase hex. */
  fingerprint: string;
  /** The subject's CN; null when absent or when there is more than one. */
  subjectCommonName: string | null;
  /** From the single URI SAN `urn:palyra:device:<ULID>`; null when absent, malformed or ambiguous. */
  deviceId: string | null;
  /** Has the URI SAN `urn:palyra:daemon`. */
  isDaemonServer: boolean;
  /** basicConstraints CA:TRUE. */
  isCA: boolean;
  notBefore: Date;
  notAfter: Date;
  /** Extended key usage, dotted OIDs (see EKU_SERVER_AUTH, EKU_CLIENT_AUTH); empty when absent. */
  extKeyUsage: string[];
  /** Lowercase hex. */
  serialNumber: string;
  subjectAltNames: SubjectAltNames;
}

const OID_COMMON_NAME = '2.5.4.3';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const { Class, Type } = forge.asn1;

function invalid(message: string, cause?: unknown): PalyraError {
  return new PalyraError('PALYRA_E_CERT_INVALID', message, cause === undefined ? {} : { cause });
}

function children(node: forge.asn1.Asn1 | undefined, what: string): forge.asn1.Asn1[] {
  if (node === undefined || !Array.isArray(node.value)) throw invalid(`certificate ${what} is malformed`);
  return node.value;
}

function primitive(node: forge.asn1.Asn1 | undefined, what: string): string {
  if (node === undefined || typeof node.value !== 'string') throw invalid(`certificate ${what} is malformed`);
  return node.value;
}

function decodeString(node: forge.asn1.Asn1): string {
  const bytes = fromForgeBytes(primitive(node, 'name attribute'));
  switch (node.type) {
    case Type.UTF8:
      return bytes.toString('utf8');
    case Type.BMPSTRING:
      return bytes.swap16().toString('utf16le');
    default:
      // PrintableString, IA5String, TeletexString: ASCII in practice.
      return bytes.toString('latin1');
  }
}

function decodeTime(node: forge.asn1.Asn1 | undefined): Date {
  const value = primitive(node, 'validity');
  if (node?.type === Type.UTCTIME) return forge.asn1.utcTimeToDate(value);
  if (node?.type === Type.GENERALIZEDTIME) return forge.asn1.generalizedTimeToDate(value);
  throw invalid('certificate validity has an unknown time type');
}

function commonNames(name: forge.asn1.Asn1 | undefined): string[] {
  const names: string[] = [];
  for (const rdn of children(name, 'subject')) {
    for (const attribute of children(rdn, 'subject')) {
      const [oid, value] = children(attribute, 'subject');
      if (forge.asn1.derToOid(primitive(oid, 'subject')) === OID_COMMON_NAME && value !== undefined) {
        names.push(decodeString(value));
      }
    }
  }
  return names;
}

function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
    // The WHATWG URL serializer yields the canonical compressed form (RFC 5952).
    return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
  }
  throw invalid(`certificate has an iPAddress SAN of ${bytes.length} bytes`);
}

function parseSubjectAltNames(extnValue: string): SubjectAltNames {
  const names: SubjectAltNames = { dns: [], ip: [], uri: [] };
  for (const general of children(parseDer(fromForgeBytes(extnValue)), 'subjectAltName')) {
    if (general.tagClass !== Class.CONTEXT_SPECIFIC || general.constructed) continue;
    const bytes = fromForgeBytes(primitive(general, 'subjectAltName'));
    if (general.type === 2) names.dns.push(bytes.toString('latin1'));
    else if (general.type === 6) names.uri.push(bytes.toString('latin1'));
    else if (general.type === 7) names.ip.push(formatIp(bytes));
  }
  return names;
}

/** Finds the extnValue of each extension; duplicates are invalid (RFC 5280 4.2). */
function extensionValues(tbs: forge.asn1.Asn1[]): Map<string, string> {
  const values = new Map<string, string>();
  const wrapper = tbs.find((node) => node.tagClass === Class.CONTEXT_SPECIFIC && node.type === 3);
  if (wrapper === undefined) return values;
  for (const extension of children(children(wrapper, 'extensions')[0], 'extensions')) {
    const parts = children(extension, 'extension');
    const oid = forge.asn1.derToOid(primitive(parts[0], 'extension'));
    const value = parts[parts.length - 1];
    if (values.has(oid)) throw invalid(`certificate has a duplicate extension ${oid}`);
    values.set(oid, primitive(value, 'extension'));
  }
  return values;
}

/**
 * Reads the fields Palyra relies on from a certificate (DER bytes or PEM). Throws
 * PALYRA_E_CERT_INVALID for anything that is not one well-formed X.509 certificate.
 * Parsing checks nothing about trust: verify the chain before relying on the identity.
 */
export function parseCertificate(derOrPem: Uint8Array | string): ParsedCertificate {
  let der: Buffer;
  try {
    der = typeof derOrPem === 'string' ? pemToDer(derOrPem, 'CERTIFICATE') : Buffer.from(derOrPem);
  } catch (error) {
    throw invalid('the certificate PEM could not be decoded', error);
  }
  let x509: X509Certificate;
  let tbs: forge.asn1.Asn1[];
  try {
    x509 = new X509Certificate(der);
    tbs = children(children(parseDer(der), 'structure')[0], 'TBSCertificate');
  } catch (error) {
    if (error instanceof PalyraError) throw error;
    throw invalid('the data is not a valid X.509 certificate', error);
  }
  try {
    // TBSCertificate: [0] version (optional), serial, signature, issuer, validity, subject, spki, ...
    const offset = tbs[0]?.tagClass === Class.CONTEXT_SPECIFIC && tbs[0].type === 0 ? 1 : 0;
    const validity = children(tbs[offset + 3], 'validity');
    const cns = commonNames(tbs[offset + 4]);
    const sanValue = extensionValues(tbs).get(OID_SUBJECT_ALT_NAME);
    const subjectAltNames = sanValue === undefined ? { dns: [], ip: [], uri: [] } : parseSubjectAltNames(sanValue);
    const deviceIds = new Set(
      subjectAltNames.uri.filter((uri) => uri.startsWith(DEVICE_URI_PREFIX)).map((uri) => uri.slice(DEVICE_URI_PREFIX.length)),
    );
    const [onlyDeviceId] = deviceIds;
    return {
      der,
      fingerprint: fingerprint(der),
      subjectCommonName: cns.length === 1 ? (cns[0] ?? null) : null,
      deviceId: deviceIds.size === 1 && isValidDeviceId(onlyDeviceId) ? onlyDeviceId : null,
      isDaemonServer: subjectAltNames.uri.includes(DAEMON_URI),
      isCA: x509.ca,
      notBefore: decodeTime(validity[0]),
      notAfter: decodeTime(validity[1]),
      extKeyUsage: [...(x509.keyUsage ?? [])],
      serialNumber: x509.serialNumber.toLowerCase(),
      subjectAltNames,
    };
  } catch (error) {
    if (error instanceof PalyraError) throw error;
    throw invalid(`the certificate could not be parsed: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}
