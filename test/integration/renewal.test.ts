/**
 * Certificate renewal (issue 15) against a real in-process daemon on 127.0.0.1: nodes paired
 * with the agent's real join, real keys, CSRs and Ed25519 signatures (test/helpers/renewalProbe.ts),
 * raw gRPC clients presenting the certificates. Both paths (mTLS, grace), the switch from the
 * old certificate to the new one, and every attack the issue lists.
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { fingerprint, pemToDer } from '@palyra/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NodeIdentity } from '../../agent/src/identity/index.js';
import { healthParams } from '../../agent/src/connection/HealthChannel.js';
import { Daemon } from '../../daemon/src/Daemon.js';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import type { CertificateRenewal } from '../../daemon/src/registry/index.js';
import {
  CA_SETUP_TIMEOUT_MS,
  Scope,
  SessionProbe,
  TEST_TIMEOUT_MS,
  clientCredentials,
  expectPalyraStatus,
  nodeClient,
  pairNode,
  prepareCas,
  registerNode,
  startDaemon,
  within,
  type RunningDaemon,
} from './harness.js';
import { RenewProbe, buildProof, renewOn, renewedIdentity, type RenewOutcome } from '../helpers/renewalProbe.js';

let scope: Scope;
beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

function certClient(d: { address: string; caCertPem: string }, identity: NodeIdentity): ReturnType<typeof nodeClient> {
  return nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: identity.tlsPrivateKeyPem, certPem: identity.certPem }));
}

/** A client with no client certificate: the grace path. */
function anonymousClient(d: RunningDaemon): ReturnType<typeof nodeClient> {
  return nodeClient(scope, d.address, clientCredentials(d.caCertPem));
}

function fingerprintOf(identity: NodeIdentity): string {
  return fingerprint(pemToDer(identity.certPem, 'CERTIFICATE'));
}

function issued(outcome: RenewOutcome): RenewOutcome & { ok: true } {
  if (!outcome.ok) throw new Error(`the renewal failed: ${outcome.palyra.code}: ${outcome.palyra.message}`);
  return outcome;
}

function refused(outcome: RenewOutcome, code: string): void {
  if (outcome.ok) throw new Error(`expected ${code}, the renewal succeeded`);
  expect(outcome.palyra.code, outcome.palyra.message).toBe(code);
}

/** Until the wall clock has passed `iso` (a condition, polled: no fixed sleep). */
async function untilPast(iso: string, marginMs = 0): Promise<void> {
  while (Date.now() <= Date.parse(iso) + marginMs) await new Promise((resolve) => setTimeout(resolve, 100));
}

function ping(seq: number): Parameters<SessionProbe['write']>[0] {
  const p = healthParams();
  return {
    health: {
      seq,
      sentAtMs: String(p.sentAtMs),
      agentVersion: p.agentVersion,
      uptimeSec: p.uptimeSec,
      loadAvg: p.loadAvg,
      memoryTotalBytes: String(p.memory.totalBytes),
      memoryFreeBytes: String(p.memory.freeBytes),
      memoryRssBytes: String(p.memory.rssBytes),
      lastRttMs: 0,
    },
  };
}

describe('RenewCertificate: the mTLS path', { timeout: TEST_TIMEOUT_MS }, () => {
  it('issues a new certificate; the old one works until the new one is presented, then is refused; only the old session closes', async () => {
    const renewals: CertificateRenewal[] = [];
    const d = await startDaemon(scope, { daemon: { onCertificateRenewed: (r) => renewals.push(r) } });
    const node = await pairNode(scope, d);
    const oldSession = new SessionProbe(scope, certClient(d, node), node.deviceId);
    await oldSession.firstMessage;

    const renewal = issued(await renewOn(scope, certClient(d, node), node));
    expect(renewal.path).toBe('mtls');
    expect(renewal.issued.caBundlePem).toContain('BEGIN CERTIFICATE');
    expect(Date.parse(renewal.issued.certExpiresAt)).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    const renewed = renewedIdentity(node, renewal);
    expect(renewals).toMatchObject([{ deviceId: node.deviceId, path: 'mtls', presentedFingerprint: fingerprintOf(node), certFingerprint: renewal.fingerprint }]);
    const record = (await d.control.listNodes()).find((n) => n.deviceId === node.deviceId);
    expect(record?.certFingerprint).toBe(renewal.fingerprint);

    // Before the switch both certificates work (a crash of the node here must not strand it).
    expect((await registerNode(certClient(d, node), node.deviceId)).ok).toBe(true);
    const newSession = new SessionProbe(scope, certClient(d, renewed), node.deviceId);
    await newSession.firstMessage;
    // The new session replaced the old one (one session per device).
    expectPalyraStatus(await within(oldSession.ended, 5_000, 'the replaced session ends'), 'PALYRA_E_PERMISSION_DENIED', grpc.status.PERMISSION_DENIED);

    // Presenting the new certificate deny-lists the old one...
    expect((await registerNode(certClient(d, renewed), node.deviceId)).ok).toBe(true);
    const old = expectPalyraStatus(await registerNode(certClient(d, node), node.deviceId), 'PALYRA_E_PERMISSION_DENIED', grpc.status.PERMISSION_DENIED);
    expect(old.message).toMatch(/revoked/);
    // ...and leaves the session on the new certificate alone.
    newSession.write(ping(1));
    const pong = await within(newSession.nextMatching((m) => m.body === 'health'), 5_000, 'the new session answers a ping');
    expect(pong.health?.seq).toBe(1);
    // The old certificate can no longer renew either.
    refused(await renewOn(scope, certClient(d, node), node), 'PALYRA_E_NODE_REVOKED');
    // The new one can, again.
    issued(await renewOn(scope, certClient(d, renewed), renewed));
  });

  it('a node that renews again from its previous certificate (it never received the new one) gets a working one; the lost one is deny-listed', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    const lost = renewedIdentity(node, issued(await renewOn(scope, certClient(d, node), node)));
    const again = renewedIdentity(node, issued(await renewOn(scope, certClient(d, node), node)));
    expect(fingerprintOf(again)).not.toBe(fingerprintOf(lost));
    expectPalyraStatus(await registerNode(certClient(d, lost), node.deviceId), 'PALYRA_E_PERMISSION_DENIED', grpc.status.PERMISSION_DENIED);
    expect((await registerNode(certClient(d, node), node.deviceId)).ok).toBe(true);
    expect((await registerNode(certClient(d, again), node.deviceId)).ok).toBe(true);
    expectPalyraStatus(await registerNode(certClient(d, node), node.deviceId), 'PALYRA_E_PERMISSION_DENIED', grpc.status.PERMISSION_DENIED);
  });

  it('a daemon restart between issuance and presentation keeps both certificates valid (persisted)', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    const renewed = renewedIdentity(node, issued(await renewOn(scope, certClient(d, node), node)));
    await d.control.close();
    await d.daemon.stop();

    const restarted = await Daemon.create({ vault: { choice: 'file' }, stateDir: d.stateDir, listen: { host: '127.0.0.1', port: 0 } });
    scope.defer(() => restarted.stop());
    const at = { address: restarted.info.grpcAddress, caCertPem: d.caCertPem };
    expect((await registerNode(certClient(at, node), node.deviceId)).ok).toBe(true);
    expect((await registerNode(certClient(at, renewed), node.deviceId)).ok).toBe(true);
    expectPalyraStatus(await registerNode(certClient(at, node), node.deviceId), 'PALYRA_E_PERMISSION_DENIED', grpc.status.PERMISSION_DENIED);
    const control = await ControlClient.connect(d.stateDir);
    scope.defer(() => control.close());
    expect((await control.listNodes())[0]?.certFingerprint).toBe(fingerprintOf(renewed));
  });
});

describe('RenewCertificate: the grace path', { timeout: TEST_TIMEOUT_MS }, () => {
  it('renews a node whose certificate expired within the grace, over TLS without a client certificate', async () => {
    const d = await startDaemon(scope, { daemon: { certValidityMs: 3_000 } });
    const node = await pairNode(scope, d);
    await untilPast(node.certExpiresAt, 500);
    const renewal = issued(await renewOn(scope, anonymousClient(d), node));
    expect(renewal.path).toBe('grace');
    const renewed = renewedIdentity(node, renewal);
    expect((await registerNode(certClient(d, renewed), node.deviceId)).ok).toBe(true);
  });

  it('refuses one whose certificate expired longer ago than the grace (PALYRA_E_CERT_EXPIRED), and any when the grace is 0', async () => {
    const d = await startDaemon(scope, { daemon: { certValidityMs: 2_000, renewalGraceMs: 1_000 } });
    const node = await pairNode(scope, d);
    await untilPast(node.certExpiresAt, 1_500);
    const outcome = await renewOn(scope, anonymousClient(d), node);
    refused(outcome, 'PALYRA_E_CERT_EXPIRED');
    expect(outcome.ok ? '' : outcome.palyra.message).toMatch(/pair the node again/);

    const none = await startDaemon(scope, { daemon: { renewalGraceMs: 0 } });
    const other = await pairNode(scope, none);
    refused(await renewOn(scope, anonymousClient(none), other), 'PALYRA_E_CERT_EXPIRED');
  });
});

describe('RenewCertificate: refused', { timeout: TEST_TIMEOUT_MS }, () => {
  it('a removed node cannot renew on either path (PALYRA_E_NODE_REVOKED)', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    const client = certClient(d, node);
    expect((await registerNode(client, node.deviceId)).ok).toBe(true);
    await d.control.removeNode(node.deviceId);
    refused(await renewOn(scope, client, node), 'PALYRA_E_NODE_REVOKED');
    refused(await renewOn(scope, certClient(d, node), node), 'PALYRA_E_NODE_REVOKED');
    refused(await renewOn(scope, anonymousClient(d), node), 'PALYRA_E_NODE_REVOKED');
  });

  it('a wrong Ed25519 signature, a CSR for another device id, an oversize CSR', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    const other = await pairNode(scope, d, 'other-node');
    refused(await renewOn(scope, certClient(d, node), node, { ed25519PrivateKey: randomBytes(32) }), 'PALYRA_E_RENEWAL_REFUSED');
    // Signed by the other node's key: still not this node's registered key.
    refused(await renewOn(scope, certClient(d, node), node, { ed25519PrivateKey: Buffer.from(other.ed25519PrivateKey, 'base64') }), 'PALYRA_E_RENEWAL_REFUSED');
    refused(await renewOn(scope, anonymousClient(d), node, { ed25519PrivateKey: randomBytes(32) }), 'PALYRA_E_RENEWAL_REFUSED');
    refused(await renewOn(scope, certClient(d, node), node, { csrDeviceId: other.deviceId }), 'PALYRA_E_RENEWAL_REFUSED');

    const probe = new RenewProbe(scope, certClient(d, node));
    const challenge = await probe.challenge(node.deviceId);
    expect(challenge?.nonce).toHaveLength(32);
    const { message } = await buildProof(node, challenge?.nonce ?? Buffer.alloc(32));
    probe.write({ proof: { ...message.proof, csrDer: randomBytes(17 * 1024) } });
    expect((await probe.ended)?.palyra.code).toBe('PALYRA_E_RENEWAL_PROTOCOL');
    // Nothing was issued by any of these.
    expect((await d.control.listNodes()).find((n) => n.deviceId === node.deviceId)?.certFingerprint).toBe(fingerprintOf(node));
  });

  it('a replayed nonce: a proof made for one stream, sent on another; and a second proof on one stream', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    const first = new RenewProbe(scope, certClient(d, node));
    const firstChallenge = await first.challenge(node.deviceId);
    const second = new RenewProbe(scope, certClient(d, node));
    const secondChallenge = await second.challenge(node.deviceId);
    expect(Buffer.compare(Buffer.from(firstChallenge?.nonce ?? []), Buffer.from(secondChallenge?.nonce ?? []))).not.toBe(0);
    const replayed = await buildProof(node, firstChallenge?.nonce ?? Buffer.alloc(32));
    second.write(replayed.message);
    expect((await second.ended)?.palyra.code).toBe('PALYRA_E_RENEWAL_REFUSED');

    // The nonce is single use: a second proof on a stream is a protocol error.
    first.write(replayed.message);
    first.write(replayed.message);
    const outcomes: string[] = [];
    for (let m = await first.next(); m !== undefined; m = await first.next()) outcomes.push(m.body ?? '');
    expect((await first.ended)?.palyra.code).toBe('PALYRA_E_RENEWAL_PROTOCOL');

    // A proof before the challenge, a second start: protocol errors too.
    const early = new RenewProbe(scope, certClient(d, node));
    early.write(replayed.message);
    expect((await early.ended)?.palyra.code).toBe('PALYRA_E_RENEWAL_PROTOCOL');
    const twice = new RenewProbe(scope, certClient(d, node));
    await twice.challenge(node.deviceId);
    twice.write({ start: { deviceId: node.deviceId } });
    expect((await twice.ended)?.palyra.code).toBe('PALYRA_E_RENEWAL_PROTOCOL');
  });

  it("another node's certificate: mTLS with node B's certificate naming node A, and the grace path naming B's fingerprint", async () => {
    const d = await startDaemon(scope);
    const a = await pairNode(scope, d, 'node-a');
    const b = await pairNode(scope, d, 'node-b');
    // B's connection, A's device id, signed by A's key (a thief holding A's identity key and B's certificate).
    refused(await renewOn(scope, certClient(d, b), a, { currentFingerprint: fingerprintOf(b) }), 'PALYRA_E_RENEWAL_REFUSED');
    refused(await renewOn(scope, certClient(d, b), a), 'PALYRA_E_RENEWAL_REFUSED');
    // Grace path: A's device id and key, B's certificate fingerprint.
    refused(await renewOn(scope, anonymousClient(d), a, { currentFingerprint: fingerprintOf(b) }), 'PALYRA_E_RENEWAL_REFUSED');
    // A fingerprint of no certificate at all.
    refused(await renewOn(scope, anonymousClient(d), a, { currentFingerprint: 'ab'.repeat(32) }), 'PALYRA_E_RENEWAL_REFUSED');
    for (const n of [a, b]) expect((await d.control.listNodes()).find((r) => r.deviceId === n.deviceId)?.certFingerprint).toBe(fingerprintOf(n));
  });

  it('bounds the streams in flight (PALYRA_E_RENEWAL_BUSY) and ends a stalled one at its deadline (PALYRA_E_TIMEOUT)', async () => {
    const d = await startDaemon(scope, { daemon: { renewalLimits: { total: 4, perAddress: 1 }, renewalTimeoutMs: 1_500 } });
    const node = await pairNode(scope, d);
    const held = new RenewProbe(scope, certClient(d, node));
    expect(await held.challenge(node.deviceId)).toBeDefined();
    const busy = new RenewProbe(scope, certClient(d, node));
    busy.write({ start: { deviceId: node.deviceId } });
    expect((await busy.ended)?.palyra.code).toBe('PALYRA_E_RENEWAL_BUSY');
    // The held stream stalls: its deadline ends it, and the slot is free again.
    expect((await within(held.ended, 10_000, 'the stalled stream ends'))?.palyra.code).toBe('PALYRA_E_TIMEOUT');
    issued(await renewOn(scope, certClient(d, node), node));
  });
});

describe('expiry on a live gRPC session', { timeout: TEST_TIMEOUT_MS }, () => {
  it('closes the session when the certificate it opened with expires', async () => {
    const d = await startDaemon(scope, { daemon: { certValidityMs: 4_000 } });
    const node = await pairNode(scope, d);
    const session = new SessionProbe(scope, certClient(d, node), node.deviceId);
    await session.firstMessage;
    const ended = expectPalyraStatus(await within(session.ended, 15_000, 'the expired session ends'), 'PALYRA_E_PERMISSION_DENIED', grpc.status.PERMISSION_DENIED);
    expect(ended.message).toMatch(/expired at .*must renew/);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(node.certExpiresAt));
  });
});
