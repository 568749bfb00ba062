/**
 * The node's side of mutual TLS: it trusts only the CA proven at pairing, and within that CA
 * only the daemon's server certificate. A node certificate (same CA) must never pass as the
 * daemon, neither on the mTLS channel nor on the pairing channel.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import forge from 'node-forge';
import { loadPalyraProto, type NodeServiceHandlers, type PairingServiceHandlers } from '@palyra/proto';
import { PAIRING_PROTOCOL, pemToDer } from '@palyra/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NodeIdentity } from '../../agent/src/identity/index.js';
import { CLIENT_CHANNEL_OPTIONS } from '../../agent/src/connection/clientOptions.js';
import { checkDaemonCertificate } from '@palyra/shared/x509';
import { createDaemonCredentials } from '../../agent/src/connection/daemonCredentials.js';
import {
  CA_SETUP_TIMEOUT_MS,
  Scope,
  TEST_TIMEOUT_MS,
  confirmedOrFailed,
  foreignCa,
  pairNode,
  prepareCas,
  registerNode,
  startDaemon,
  startJoin,
  type CallOutcome,
  type RunningDaemon,
} from './harness.js';

let scope: Scope;
beforeAll(() => prepareCas('daemon', 'other-daemon', 'stranger'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

/** A NodeService client built exactly as the agent builds it (createDaemonCredentials + its channel options). */
function agentNodeClient(identity: NodeIdentity) {
  const { NodeService } = loadPalyraProto();
  return scope.client(
    new NodeService(identity.daemonAddress, createDaemonCredentials(identity), {
      ...CLIENT_CHANNEL_OPTIONS,
      'grpc.use_local_subchannel_pool': 1,
    }),
  );
}

function expectTlsRefusal(outcome: CallOutcome<unknown>, reason: RegExp): void {
  if (outcome.ok) throw new Error('the node talked to a server it must not trust');
  expect(outcome.error.code, outcome.error.details).toBe(grpc.status.UNAVAILABLE);
  expect(outcome.error.details).toMatch(reason);
  expect(outcome.palyra.code).toBe('PALYRA_E_DAEMON_UNREACHABLE');
}

/**
 * A tiny gRPC server that looks like a daemon to a node: NodeService and PairingService stubs
 * that count the calls they receive, on TLS with the given server identity.
 */
async function impostor(
  tls: { keyPem: string; certPem: string; caCertPem: string },
  pairingCaDer: Buffer,
): Promise<{ address: string; calls: { registerNode: number; session: number; getPairingInfo: number; pair: number } }> {
  const calls = { registerNode: 0, session: 0, getPairingInfo: 0, pair: 0 };
  const proto = loadPalyraProto();
  const server = scope.server(new grpc.Server());
  // Only what a node calls first; anything else is UNIMPLEMENTED, which is fine for an impostor.
  const nodeHandlers: Pick<NodeServiceHandlers, 'RegisterNode' | 'Session'> = {
    RegisterNode(_call, callback) {
      calls.registerNode += 1;
      callback(null, { certExpiresAt: new Date(Date.now() + 86_400_000).toISOString(), daemonVersion: 'impostor' });
    },
    Session(call) {
      calls.session += 1;
      call.end();
    },
  };
  const pairingHandlers: PairingServiceHandlers = {
    GetPairingInfo(_call, callback) {
      calls.getPairingInfo += 1;
      callback(null, { protocol: PAIRING_PROTOCOL, caCertDer: pairingCaDer, daemonVersion: 'impostor' });
    },
    Pair(call) {
      calls.pair += 1;
      call.end();
    },
  };
  server.addService(proto.NodeService.service, nodeHandlers);
  server.addService(proto.PairingService.service, pairingHandlers);
  const credentials = grpc.ServerCredentials.createSsl(
    Buffer.from(tls.caCertPem),
    [{ private_key: Buffer.from(tls.keyPem), cert_chain: Buffer.from(tls.certPem) }],
    false,
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  return { address: `127.0.0.1:${port}`, calls };
}

/** The daemon's own TLS identity (as a thief of its server key would have it). */
async function daemonServerIdentity(d: RunningDaemon): Promise<{ keyPem: string; certPem: string; caCertPem: string }> {
  // It must be the certificate the daemon actually serves.
  const served = (await peerCertificate(d.address)).raw;
  expect(served.equals(pemToDer(d.keys.serverCertPem, 'CERTIFICATE'))).toBe(true);
  return { keyPem: d.keys.serverKeyPem, certPem: d.keys.serverCertPem, caCertPem: d.caCertPem };
}

/** The server certificate a TLS client sees at `address`, as node:tls reports it. */
async function peerCertificate(address: string): Promise<PeerCertificate> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port: Number(port), rejectUnauthorized: false, ALPNProtocols: ['h2'], servername: 'palyrad' }, () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      resolve(cert);
    });
    socket.on('error', reject);
  });
}

/** Signs a custom leaf for `keyPem` with the daemon's CA key. */
async function issueWithDaemonCa(
  d: RunningDaemon,
  keyPem: string,
  profile: { commonName: string; uri: string; serverAuth: boolean; clientAuth: boolean },
): Promise<string> {
  const caKey = forge.pki.privateKeyFromPem(d.keys.caKeyPem);
  const caCert = forge.pki.certificateFromPem(d.caCertPem);
  const cert = forge.pki.createCertificate();
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: profile.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.publicKey = forge.pki.publicKeyFromPem(createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString());
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: profile.serverAuth, clientAuth: profile.clientAuth },
    { name: 'subjectAltName', altNames: [{ type: 6, value: profile.uri }] },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

describe('the node verifies the daemon', { timeout: TEST_TIMEOUT_MS }, () => {
  it('refuses a daemon whose certificate chains to a CA other than the one proven at pairing', async () => {
    const home = await startDaemon(scope);
    const other = await startDaemon(scope, { otherCa: true });
    expect(other.caCertPem).not.toBe(home.caCertPem);
    const node = await pairNode(scope, home);

    // Another real daemon, with a valid daemon certificate of its own CA, at the node's address.
    expectTlsRefusal(
      await registerNode(agentNodeClient({ ...node, daemonAddress: other.address }), node.deviceId),
      /certificate/i,
    );

    // The node's own daemon, but an identity that trusts a different CA: refused by the node,
    // although the daemon itself would accept this client certificate.
    const stranger = await foreignCa(scope);
    expectTlsRefusal(await registerNode(agentNodeClient({ ...node, caCertPem: stranger.caCertPem }), node.deviceId), /certificate/i);
    expect((await home.control.listNodes())[0]?.hostname, 'the refused call never reached the daemon').not.toBe('raw-host');

    // Control: the unmodified identity works against its own daemon.
    expect((await registerNode(agentNodeClient(node), node.deviceId)).ok).toBe(true);
    expect((await home.control.listNodes())[0]?.hostname).toBe('raw-host');
  });

  it("refuses a real node certificate of the same CA presented as the daemon's server certificate", async () => {
    const d = await startDaemon(scope);
    const victim = await pairNode(scope, d, 'victim');
    const rogue = await pairNode(scope, d, 'rogue');
    const caDer = pemToDer(d.caCertPem, 'CERTIFICATE');

    // The rogue node serves with its own, perfectly valid, CA-issued certificate. Node certs
    // carry only the clientAuth EKU, so TLS itself already refuses them for a server, before
    // checkDaemonCertificate runs; either way, the node must not talk to it.
    const fake = await impostor({ keyPem: rogue.tlsPrivateKeyPem, certPem: rogue.certPem, caCertPem: d.caCertPem }, caDer);
    expectTlsRefusal(
      await registerNode(agentNodeClient({ ...victim, daemonAddress: fake.address }), victim.deviceId),
      /unsuitable certificate purpose|not a Palyra daemon certificate/,
    );
    expect(fake.calls.registerNode, 'the impostor must not receive the call').toBe(0);

    // checkDaemonCertificate itself, on the certificates as TLS reports them.
    expect(checkDaemonCertificate(await peerCertificate(fake.address))?.message).toMatch(/not a Palyra daemon certificate/);
    expect(checkDaemonCertificate(await peerCertificate(d.address))).toBeUndefined();

    // Control: the same stub with the daemon's real server certificate is accepted, so the
    // refusal above is about the certificate and not some other TLS problem.
    const genuine = await impostor(await daemonServerIdentity(d), caDer);
    expect((await registerNode(agentNodeClient({ ...victim, daemonAddress: genuine.address }), victim.deviceId)).ok).toBe(true);
    expect(genuine.calls.registerNode).toBe(1);
  });

  it('refuses a node-profile certificate of the same CA even when it also allows serverAuth (checkDaemonCertificate)', async () => {
    const d = await startDaemon(scope);
    const victim = await pairNode(scope, d, 'victim');
    const rogue = await pairNode(scope, d, 'rogue');
    const caDer = pemToDer(d.caCertPem, 'CERTIFICATE');

    // What a node would hold if node certificates ever allowed serverAuth: TLS accepts it for a
    // server, so only the daemon marker (URI SAN urn:palyra:daemon) tells it from the daemon's.
    const certPem = await issueWithDaemonCa(d, rogue.tlsPrivateKeyPem, {
      commonName: rogue.deviceId,
      uri: `urn:palyra:device:${rogue.deviceId}`,
      serverAuth: true,
      clientAuth: true,
    });
    const fake = await impostor({ keyPem: rogue.tlsPrivateKeyPem, certPem, caCertPem: d.caCertPem }, caDer);
    expectTlsRefusal(
      await registerNode(agentNodeClient({ ...victim, daemonAddress: fake.address }), victim.deviceId),
      /not a Palyra daemon certificate/,
    );
    expect(fake.calls.registerNode).toBe(0);

    // On the pairing channel as well: the impostor hands out the real CA, so the chain verifies.
    const { code } = await d.control.createPairingCode({ method: 'pin' });
    const join = startJoin(scope, fake.address, code);
    await expect(join.result).rejects.toMatchObject({ code: 'PALYRA_E_DAEMON_UNREACHABLE' });
    await expect(join.result).rejects.toThrow(/not a Palyra daemon certificate/);
    expect(fake.calls.getPairingInfo).toBe(1);
    expect(fake.calls.pair, 'the Pair stream must never open to the impostor').toBe(0);
  });

  it('refuses a real node certificate posing as the daemon on the pairing channel', async () => {
    const d = await startDaemon(scope);
    const rogue = await pairNode(scope, d, 'rogue');
    const caDer = pemToDer(d.caCertPem, 'CERTIFICATE');
    const fake = await impostor({ keyPem: rogue.tlsPrivateKeyPem, certPem: rogue.certPem, caCertPem: d.caCertPem }, caDer);
    const { code } = await d.control.createPairingCode({ method: 'pin' });

    const join = startJoin(scope, fake.address, code);
    await expect(confirmedOrFailed(join)).rejects.toMatchObject({ code: 'PALYRA_E_DAEMON_UNREACHABLE' });
    await expect(join.result).rejects.toThrow(/unsuitable certificate purpose|not a Palyra daemon certificate/);
    expect(fake.calls.getPairingInfo).toBe(1);
    expect(fake.calls.pair, 'the Pair stream must never open to the impostor').toBe(0);

    // The untouched code still pairs a node with the real daemon.
    const real = startJoin(scope, d.address, code);
    const { requestId } = await confirmedOrFailed(real);
    await d.control.decide(requestId, true);
    await expect(real.result).resolves.toMatchObject({ caFingerprint: d.daemon.info.caFingerprint });
  });
});
