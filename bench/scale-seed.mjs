// Seeds a daemon's state dir with N registered nodes before the daemon starts, so bench/scale
// can put thousands of nodes on one daemon without thousands of pairings (1-3 pairings/s
// here; their cost is bench/pairing's subject). Certificates come from the daemon's own CA
// through the code the daemon runs after an operator's approval (CertificateAuthority
// .signNodeCsr, dist build), and the state is written through its RuntimeStateStore, which
// validates every record. The CA starts as plaintext PEM files (the first slice's layout);
// the daemon moves them into its vault when it starts.
import { generateKeyPairSync } from 'node:crypto';
import { hostname, platform, arch } from 'node:os';
import { ROOT } from './lib.mjs';

const DAEMON_DIST = `${ROOT}daemon/dist`;
const caModule = () => import(`${DAEMON_DIST}/ca/index.js`);
const registryModule = () => import(`${DAEMON_DIST}/registry/index.js`);

/** What a light node announces in RegisterNode; the seeded record matches it exactly. */
export const SIM_NODE_INFO = { platform: `${platform()}-${arch()}`, hostname: hostname(), agentVersion: 'bench-scale' };
export const NOOP_CAPABILITY = {
  id: 'bench.noop',
  kind: 'read',
  description: 'Does nothing and returns {}.',
  plugin: 'bench',
  inputSchemaJson: '{"type":"object","additionalProperties":false,"properties":{}}',
  outputSchemaJson: '{"type":"object","additionalProperties":false,"properties":{}}',
};

/** Creates the CA (and the daemon's server certificate, which the daemon reuses) in `stateDir`. */
export async function createCa(stateDir, { signal } = {}) {
  const { CertificateAuthority } = await caModule();
  const ca = await CertificateAuthority.loadOrCreate({ stateDir, signal });
  const server = await ca.ensureServerCertificate({ hosts: [], signal });
  return { ca, server };
}

/**
 * Node TLS keys: RSA-2048 (the only kind the daemon accepts in a CSR), a small pool shared by
 * all simulated nodes. Generating 10,000 RSA keys would take ~10 minutes here, and the daemon
 * neither sees nor cares that two nodes' keys are equal (each node still has its own
 * certificate, serial, fingerprint and device id). Returns PKCS#8 PEMs.
 */
export async function generateKeyPool(size, { signal } = {}) {
  const { generateTlsKeyPair } = await import('@palyra/shared/x509');
  return Promise.all(Array.from({ length: size }, async () => (await generateTlsKeyPair({ signal })).privateKeyPem));
}

/**
 * Issues `count` node identities with the CA in `stateDir`, keys taken in turn from `keyPool`.
 * One CSR per pooled key: the CA ignores everything in a CSR but its key and self-signature.
 * Returns the identities (what a node keeps) and the node records (what the daemon keeps).
 */
export async function issueNodes({ stateDir, count, namePrefix, keyPool, signal }) {
  const { CertificateAuthority } = await caModule();
  const { createCsr } = await import('@palyra/shared/x509');
  const { newDeviceId } = await import('@palyra/shared/ids');
  const ca = await CertificateAuthority.loadOrCreate({ stateDir, signal });
  const pool = keyPool.map((privateKeyPem) => ({ privateKeyPem, csrDer: createCsr({ deviceId: newDeviceId(), privateKeyPem }) }));
  const identities = [];
  const records = [];
  const pairedAt = new Date().toISOString();
  for (let i = 0; i < count; i += 1) {
    const key = pool[i % pool.length];
    const deviceId = newDeviceId();
    const name = `${namePrefix}-${i}`;
    const issued = await ca.signNodeCsr({ csrDer: key.csrDer, deviceId, signal });
    identities.push({ deviceId, name, caCertPem: ca.caCertPem, certPem: issued.certPem, tlsPrivateKeyPem: key.privateKeyPem });
    records.push({
      deviceId,
      name,
      ...SIM_NODE_INFO,
      capabilities: [NOOP_CAPABILITY.id],
      labels: {},
      ed25519PublicKey: rawPublicKey('ed25519'),
      x25519PublicKey: rawPublicKey('x25519'),
      certFingerprint: issued.fingerprint,
      certExpiresAt: issued.notAfter.toISOString(),
      pairedAt,
      lastSeen: null,
    });
  }
  return { identities, records };
}

/** Writes the node records as the daemon's runtime state (validated by the daemon's store). */
export async function writeSeededState(stateDir, records, { signal } = {}) {
  const { RuntimeStateStore, emptyRuntimeState } = await registryModule();
  const store = await RuntimeStateStore.open({ stateDir, signal });
  await store.save({ ...emptyRuntimeState(), nodes: records }, { signal });
}

function rawPublicKey(type) {
  const der = generateKeyPairSync(type).publicKey.export({ type: 'spki', format: 'der' });
  return der.subarray(der.length - 32).toString('base64');
}
