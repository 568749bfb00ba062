/**
 * CA rotation against a real in-process daemon (gRPC and QUIC on 127.0.0.1, port 0), nodes
 * paired with the agent's real join, raw NodeService clients and the agent's QUIC client:
 * both CAs are trusted during a rotation, the trust bundle reaches online nodes, the server
 * certificate switches once every node trusts the new CA, `ca finish` refuses while a node
 * depends on the old CA, and --force cuts those nodes off (gRPC and QUIC).
 */
import { X509Certificate } from 'node:crypto';
import { fingerprint, parseHostPort, pemCertificates, type HostPort, type PalyraError } from '@palyra/shared';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonMessage__Output, NodeServiceClient, RegisterNodeResponse__Output } from '@palyra/proto';
import { fromServiceError } from '@palyra/proto';
import { healthParams } from '../../agent/src/connection/HealthChannel.js';
import { QuicDaemonClient, type QuicClientCredentials } from '../../agent/src/connection/quic/QuicDaemonClient.js';
import type { NodeIdentity } from '../../agent/src/identity/index.js';
import { renewCertificate } from '../../agent/src/renewal/renewCertificate.js';
import { expectCode } from '../helpers/errorAssertions.js';
import {
  CA_SETUP_TIMEOUT_MS,
  Scope,
  SessionProbe,
  TEST_TIMEOUT_MS,
  clientCredentials,
  confirmedOrFailed,
  nodeClient,
  pairNode,
  pairingClient,
  pairingInfo,
  prepareCas,
  startDaemon,
  startJoin,
  within,
  type CallOutcome,
  type RunningDaemon,
} from './harness.js';

let scope: Scope;

beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);

afterEach(async () => {
  await scope.dispose();
});

async function rotationDaemon(s: Scope): Promise<RunningDaemon & { quic: HostPort }> {
  const d = await startDaemon(s, { daemon: { quicListen: { host: '127.0.0.1', port: 0 } } });
  return { ...d, quic: parseHostPort(d.daemon.info.quicAddress) };
}

function clientOf(s: Scope, d: RunningDaemon, node: NodeIdentity, trustPem: string): NodeServiceClient {
  return nodeClient(s, d.address, clientCredentials(trustPem, { keyPem: node.tlsPrivateKeyPem, certPem: node.certPem }));
}

function register(client: NodeServiceClient, node: NodeIdentity, trusted: string[]): Promise<CallOutcome<RegisterNodeResponse__Output>> {
  return new Promise((resolve) => {
    client.RegisterNode(
      { deviceId: node.deviceId, name: 'rot', platform: 'linux-x64', hostname: 'rot-host', agentVersion: '0.0.0-test', capabilities: [], trustedCaFingerprints: trusted },
      { deadline: Date.now() + 10_000 },
      (error, value) => {
        if (error) resolve({ ok: false, error, palyra: fromServiceError(error) });
        else resolve({ ok: true, value: value as RegisterNodeResponse__Output });
      },
    );
  });
}

async function quicHealth(s: Scope, address: HostPort, credentials: QuicClientCredentials): Promise<string | PalyraError> {
  try {
    const client = await QuicDaemonClient.connect({ address, credentials, timeoutMs: 3_000 });
    s.defer(() => client.close());
    return (await client.health(healthParams(), { timeoutMs: 5_000 })).result.deviceId;
  } catch (error) {
    return error as PalyraError;
  }
}

function bundleFingerprints(pem: string): string[] {
  return pemCertificates(pem).map((der) => fingerprint(der));
}

function issuerOf(certPem: string, cas: string[]): string | undefined {
  const leaf = new X509Certificate(certPem);
  return cas.find((pem) => leaf.checkIssued(new X509Certificate(pem)) && leaf.verify(new X509Certificate(pem).publicKey));
}

const isTrustBundle = (message: DaemonMessage__Output): boolean => message.body === 'trustBundle';

/** The first message `match` accepts, already received or still to come. */
function received(probe: SessionProbe, match: (message: DaemonMessage__Output) => boolean, what: string): Promise<DaemonMessage__Output> {
  const seen = probe.messages.find(match);
  return within(seen === undefined ? probe.nextMatching(match) : Promise.resolve(seen), 10_000, what);
}

describe('CA rotation (in-process daemon)', () => {
  it(
    'trusts both CAs on gRPC and QUIC, pushes the bundle, switches the server certificate once every node trusts the new CA, and finish refuses then --force cuts off',
    async () => {
      const s = (scope = new Scope());
      const d = await rotationDaemon(s);
      const oldCaPem = d.caCertPem;
      const oldFp = fingerprint(pemCertificates(oldCaPem)[0] as Buffer);

      // A: paired before the rotation, online on a Session.
      const a = await pairNode(s, d, 'node-a');
      const aClient = clientOf(s, d, a, oldCaPem);
      const aSession = new SessionProbe(s, aClient, a.deviceId);
      expect((await within(aSession.firstMessage, 10_000, 'welcome')).body).toBe('welcome');

      const rotated = await d.control.rotateCa();
      expect(rotated.rotating).toBe(true);
      const signing = rotated.cas.find((ca) => ca.role === 'signing');
      expect(signing).toBeDefined();
      const newFp = signing?.fingerprint as string;
      expect(rotated.cas.find((ca) => ca.role === 'retiring')?.fingerprint).toBe(oldFp);
      // A trusts only the old CA: the server certificate stays with it.
      expect(rotated.serverCaFingerprint).toBe(oldFp);

      // The online node gets the bundle (both CAs) and is asked to renew.
      const pushed = await received(aSession, isTrustBundle, 'trust bundle');
      const bundlePem = pushed.trustBundle?.caBundlePem ?? '';
      expect(bundleFingerprints(bundlePem).sort()).toEqual([oldFp, newFp].sort());
      const newCaPem = pemCertificates(bundlePem)
        .map((der) => new X509Certificate(der).toString())
        .find((pem) => fingerprint(new X509Certificate(pem).raw) === newFp) as string;
      await received(aSession, (m) => m.body === 'renew', 'renew request');

      // B: paired during the rotation: it pins the server's CA (still the old one), which issues
      // its first certificate (the agent checks it against the pinned CA); it is asked to renew
      // onto the new CA once online.
      const paired = await pairNode(s, d, 'node-b');
      expect(issuerOf(paired.certPem, [oldCaPem, newCaPem])).toBe(oldCaPem);
      expect(fingerprint(pemCertificates(paired.caCertPem)[0] as Buffer)).toBe(oldFp);
      // B renews (the agent's real renewal): the new certificate comes from the new CA, with the bundle.
      const renewed = await renewCertificate({ identity: paired, path: 'mtls', now: () => new Date() });
      expect(issuerOf(renewed.certPem, [oldCaPem, newCaPem])).toBe(newCaPem);
      expect(bundleFingerprints(renewed.caBundlePem ?? '').sort()).toEqual([oldFp, newFp].sort());
      const b: NodeIdentity = { ...paired, certPem: renewed.certPem, tlsPrivateKeyPem: renewed.tlsPrivateKeyPem };
      const bClient = clientOf(s, d, b, oldCaPem);
      const bRegistered = await register(bClient, b, [oldFp]);
      expect(bRegistered.ok, bRegistered.ok ? '' : bRegistered.palyra.message).toBe(true);
      // RegisterNode hands out the bundle.
      if (bRegistered.ok) expect(bundleFingerprints(bRegistered.value.caBundlePem).sort()).toEqual([oldFp, newFp].sort());
      // gRPC accepts the old CA's certificate too.
      expect((await register(aClient, a, [])).ok).toBe(true);
      // QUIC accepts both.
      expect(await quicHealth(s, d.quic, { caCertPem: oldCaPem, certPem: a.certPem, tlsPrivateKeyPem: a.tlsPrivateKeyPem })).toBe(a.deviceId);
      expect(await quicHealth(s, d.quic, { caCertPem: oldCaPem, certPem: b.certPem, tlsPrivateKeyPem: b.tlsPrivateKeyPem })).toBe(b.deviceId);

      let status = await d.control.caStatus();
      expect(status.cas.find((ca) => ca.fingerprint === newFp)).toMatchObject({ nodesHolding: 1, nodesTrusting: 0 });
      expect(status.cas.find((ca) => ca.fingerprint === oldFp)).toMatchObject({ nodesHolding: 1, nodesTrusting: 2 });

      // Finish is refused while A holds an old certificate and nobody trusts the new CA.
      const refused = await expectCode(d.control.finishCaRotation(false), 'PALYRA_E_CA_IN_USE');
      expect(refused.message).toContain(a.deviceId);
      expect(refused.message).toContain(b.deviceId);

      // B takes the bundle (RegisterNode); the server still waits for A.
      expect((await register(bClient, b, [oldFp, newFp])).ok).toBe(true);
      expect((await d.control.caStatus()).serverCaFingerprint).toBe(oldFp);
      // A acknowledges the pushed bundle on its Session: every node trusts the new CA now.
      aSession.write({ trustAck: { caFingerprints: [oldFp, newFp] } });
      await within(
        (async () => {
          while ((await d.control.caStatus()).serverCaFingerprint !== newFp) await new Promise((resolve) => setImmediate(resolve));
        })(),
        20_000,
        'the server certificate switches to the new CA',
      );
      // Live swap: a client trusting only the new CA connects now, and pairing hands out the new CA.
      const newOnly = clientOf(s, d, b, newCaPem);
      expect((await register(newOnly, b, [oldFp, newFp])).ok).toBe(true);
      const info = await pairingInfo(await pairingClient(s, d));
      expect(fingerprint(info.caCertDer)).toBe(newFp);
      expect(await quicHealth(s, d.quic, { caCertPem: newCaPem, certPem: b.certPem, tlsPrivateKeyPem: b.tlsPrivateKeyPem })).toBe(b.deviceId);
      // A's session survived the switch.
      expect(aSession.messages.length).toBeGreaterThan(0);

      // Still refused: A holds a certificate of the old CA.
      const stillRefused = await expectCode(d.control.finishCaRotation(false), 'PALYRA_E_CA_IN_USE');
      expect(stillRefused.message).toContain(a.deviceId);
      expect(stillRefused.message).not.toContain(b.deviceId);

      // --force: A is cut off (its session closes), B carries on.
      const bSession = new SessionProbe(s, newOnly, b.deviceId);
      expect((await within(bSession.firstMessage, 10_000, 'welcome')).body).toBe('welcome');
      const finished = await d.control.finishCaRotation(true);
      expect(finished.retiredFingerprint).toBe(oldFp);
      expect(finished.cutOff.map((n) => n.deviceId)).toEqual([a.deviceId]);
      expect(finished.cutOff[0]).toMatchObject({ holdsOldCertificate: true, lacksTrust: false });
      const aEnded = await within(aSession.ended, 10_000, 'A is cut off');
      expect(aEnded.palyra.code).toBe('PALYRA_E_PERMISSION_DENIED');
      // B is told to drop the old CA.
      const smaller = await received(bSession, (m) => isTrustBundle(m) && bundleFingerprints(m.trustBundle?.caBundlePem ?? '').length === 1, 'the smaller bundle');
      expect(bundleFingerprints(smaller.trustBundle?.caBundlePem ?? '')).toEqual([newFp]);
      // The old CA is trusted nowhere: A's certificate is refused on gRPC (new connection) and QUIC.
      const aAgain = await register(clientOf(s, d, a, newCaPem), a, []);
      expect(aAgain.ok).toBe(false);
      if (!aAgain.ok) expect(aAgain.palyra.message).toMatch(/not issued by this daemon's CA/);
      const aQuic = await quicHealth(s, d.quic, { caCertPem: newCaPem, certPem: a.certPem, tlsPrivateKeyPem: a.tlsPrivateKeyPem });
      expect(typeof aQuic).not.toBe('string');
      expect(await quicHealth(s, d.quic, { caCertPem: newCaPem, certPem: b.certPem, tlsPrivateKeyPem: b.tlsPrivateKeyPem })).toBe(b.deviceId);

      status = await d.control.caStatus();
      expect(status.rotating).toBe(false);
      expect(status.cas.map((ca) => ca.role)).toEqual(['retired', 'signing']);
      await expectCode(d.control.finishCaRotation(false), 'PALYRA_E_CA_NOT_ROTATING');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a pairing request pending when the rotation begins holds the server switch (it pinned the old CA): approved, the node joins and moves over; finish refuses meanwhile',
    async () => {
      const s = (scope = new Scope());
      const d = await rotationDaemon(s);
      const oldFp = fingerprint(pemCertificates(d.caCertPem)[0] as Buffer);
      const { code } = await d.control.createPairingCode({ method: 'pin' });
      const join = startJoin(s, d.address, code, { name: 'pending-at-rotate' });
      const { requestId } = await confirmedOrFailed(join);

      // No registered node waits for the new CA, but the pending node pinned the old one.
      const rotated = await d.control.rotateCa();
      const newFp = rotated.cas.find((ca) => ca.role === 'signing')?.fingerprint as string;
      expect(rotated.serverCaFingerprint).toBe(oldFp);
      const refused = await expectCode(d.control.finishCaRotation(false), 'PALYRA_E_CA_IN_USE');
      expect(refused.message).toContain(requestId);

      // Approved: the certificate chains to the CA the node pinned, so the join succeeds.
      await d.control.decide(requestId, true);
      const node = await within(join.result, 15_000, 'the join');
      expect(fingerprint(pemCertificates(node.caCertPem)[0] as Buffer)).toBe(oldFp);

      // The node connects with the server certificate it can verify, takes the bundle and
      // reports it: then the server switches.
      const client = clientOf(s, d, node, node.caCertPem);
      const first = await register(client, node, [oldFp]);
      expect(first.ok, first.ok ? '' : first.palyra.message).toBe(true);
      expect((await d.control.caStatus()).serverCaFingerprint).toBe(oldFp);
      expect((await register(client, node, [oldFp, newFp])).ok).toBe(true);
      expect((await d.control.caStatus()).serverCaFingerprint).toBe(newFp);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a node flooding TrustAcks that change its trust each time loses its session (each change is a registry write): LIMIT_EXCEEDED',
    async () => {
      const s = (scope = new Scope());
      const d = await rotationDaemon(s);
      const node = await pairNode(s, d, 'flooder');
      const session = new SessionProbe(s, clientOf(s, d, node, d.caCertPem), node.deviceId);
      expect((await within(session.firstMessage, 10_000, 'welcome')).body).toBe('welcome');
      const one = ['a'.repeat(64)];
      const two = ['a'.repeat(64), 'b'.repeat(64)];
      for (let i = 0; i < 200; i += 1) session.write({ trustAck: { caFingerprints: i % 2 === 0 ? one : two } });
      const ended = await within(session.ended, 10_000, 'the flooding session ends');
      expect(ended.palyra.code).toBe('PALYRA_E_LIMIT_EXCEEDED');
      // The node is still registered (it reconnects with backoff like any protocol violator).
      expect((await d.control.caStatus()).nodesTotal).toBe(1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a node whose renewal onto the new CA never reached it (it still runs on its old-CA certificate) keeps finish refused; once it presents the new one, finish succeeds',
    async () => {
      const s = (scope = new Scope());
      const d = await rotationDaemon(s);
      const oldFp = fingerprint(pemCertificates(d.caCertPem)[0] as Buffer);
      const a = await pairNode(s, d, 'lost-renewal');
      const rotated = await d.control.rotateCa();
      const newFp = rotated.cas.find((ca) => ca.role === 'signing')?.fingerprint as string;
      // The daemon issues and records a new-CA certificate; the node never stores it (the
      // answer was lost, or the agent crashed first): it still holds the old-CA one only.
      const renewed = await renewCertificate({ identity: a, path: 'mtls', now: () => new Date() });
      const oldClient = clientOf(s, d, a, d.caCertPem);
      const registered = await register(oldClient, a, [oldFp, newFp]);
      expect(registered.ok, registered.ok ? '' : registered.palyra.message).toBe(true);
      expect((await d.control.caStatus()).serverCaFingerprint).toBe(newFp);
      // Retiring the old CA now would cut the node off: its only working certificate is the old CA's.
      const refused = await expectCode(d.control.finishCaRotation(false), 'PALYRA_E_CA_IN_USE');
      expect(refused.message).toContain(a.deviceId);
      // It presents the renewed certificate: nothing depends on the old CA any more.
      const b: NodeIdentity = { ...a, certPem: renewed.certPem, tlsPrivateKeyPem: renewed.tlsPrivateKeyPem };
      expect((await register(clientOf(s, d, b, renewed.caBundlePem ?? d.caCertPem), b, [oldFp, newFp])).ok).toBe(true);
      const finished = await d.control.finishCaRotation(false);
      expect(finished.cutOff).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'with no nodes the server certificate switches at once and finish succeeds; a second rotate during one is refused',
    async () => {
      const s = (scope = new Scope());
      const d = await rotationDaemon(s);
      const rotated = await d.control.rotateCa();
      const newFp = rotated.cas.find((ca) => ca.role === 'signing')?.fingerprint;
      expect(rotated.serverCaFingerprint).toBe(newFp);
      await expectCode(d.control.rotateCa(), 'PALYRA_E_CA_ROTATION_IN_PROGRESS');
      const status = await d.control.status();
      expect(status.caRotating).toBe(true);
      expect(status.caSigningFingerprint).toBe(newFp);
      const finished = await d.control.finishCaRotation(false);
      expect(finished.cutOff).toEqual([]);
      expect((await d.control.status()).caFingerprint).toBe(newFp);
      // Pairing after the rotation: the node pins the new CA and holds its certificate.
      const node = await pairNode(s, d, 'after');
      expect(fingerprint(pemCertificates(node.caCertPem)[0] as Buffer)).toBe(newFp);
    },
    TEST_TIMEOUT_MS,
  );
});
