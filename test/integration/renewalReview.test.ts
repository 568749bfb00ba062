/**
 * Review of the renewal lifecycle (issue 15): attacks found by the review, each against a real
 * in-process daemon on 127.0.0.1 with real join, keys, CSRs and signatures.
 */
import { randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { fingerprint, generateTlsKeyPair, pemToDer } from '@palyra/shared';
import { signRenewal } from '@palyra/shared/renewal';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NodeIdentity } from '../../agent/src/identity/index.js';
import * as grpc from '@grpc/grpc-js';
import { CA_SETUP_TIMEOUT_MS, Scope, SessionProbe, TEST_TIMEOUT_MS, clientCredentials, expectPalyraStatus, nodeClient, pairNode, prepareCas, registerNode, startDaemon, within, type RunningDaemon } from './harness.js';
import { capturedLogger } from '../helpers/capturedLogger.js';
import { RenewProbe, buildProof, renewOn, renewedIdentity, type RenewOutcome } from '../helpers/renewalProbe.js';

let scope: Scope;
beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

function certClient(d: RunningDaemon, identity: NodeIdentity): ReturnType<typeof nodeClient> {
  return nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: identity.tlsPrivateKeyPem, certPem: identity.certPem }));
}

function outcomeCode(outcome: RenewOutcome): string {
  return outcome.ok ? 'issued' : outcome.palyra.code;
}

describe('renewal review', { timeout: TEST_TIMEOUT_MS }, () => {
  it('a node cannot renew in a loop: after a burst it is refused (PALYRA_E_RENEWAL_BUSY), so the deny list cannot grow at its will; failed proofs spend nothing', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    // Someone without the identity key cannot spend the node's budget.
    for (let i = 0; i < 8; i += 1) {
      expect(outcomeCode(await renewOn(scope, certClient(d, node), node, { ed25519PrivateKey: randomBytes(32) }))).toBe('PALYRA_E_RENEWAL_REFUSED');
    }
    let identity = node;
    const codes: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const outcome = await renewOn(scope, certClient(d, identity), identity);
      codes.push(outcomeCode(outcome));
      if (outcome.ok) identity = renewedIdentity(identity, outcome);
    }
    expect(codes.slice(0, 6)).toEqual(Array(6).fill('issued'));
    expect(codes.slice(6)).toEqual(Array(4).fill('PALYRA_E_RENEWAL_BUSY'));
    // The refusal says when to retry, and the node keeps its working certificate.
    const busy = await renewOn(scope, certClient(d, identity), identity);
    expect(busy.ok ? '' : busy.palyra.message).toMatch(/retry in \d+ s/);
    expect((await d.control.listNodes()).find((n) => n.deviceId === node.deviceId)?.certFingerprint).toBe(fingerprint(pemToDer(identity.certPem, 'CERTIFICATE')));
  });

  it("a CSR whose subject CN carries terminal escapes and line breaks: refused, and neither the node's error nor the log line carries them raw", async () => {
    const captured = capturedLogger();
    const d = await startDaemon(scope, { daemon: { logger: captured.logger } });
    const node = await pairNode(scope, d);
    const keys = await generateTlsKeyPair();
    const csr = forge.pki.createCertificationRequest();
    const privateKey = forge.pki.privateKeyFromPem(keys.privateKeyPem) as forge.pki.rsa.PrivateKey;
    csr.publicKey = forge.pki.rsa.setPublicKey(privateKey.n, privateKey.e);
    csr.setSubject([{ name: 'commonName', value: '\u001b[2J\u001b[31mFAKE\nINFO node approved\r' }]);
    csr.sign(privateKey, forge.md.sha256.create());
    const csrDer = Buffer.from(forge.asn1.toDer(forge.pki.certificationRequestToAsn1(csr)).getBytes(), 'binary');

    const probe = new RenewProbe(scope, certClient(d, node));
    const challenge = await probe.challenge(node.deviceId);
    const currentCertFingerprint = fingerprint(pemToDer(node.certPem, 'CERTIFICATE'));
    const signature = signRenewal({ nonce: challenge?.nonce ?? Buffer.alloc(32), deviceId: node.deviceId, csrDer, currentCertFingerprint }, Buffer.from(node.ed25519PrivateKey, 'base64'));
    probe.write({ proof: { csrDer, currentCertFingerprint, signature: Buffer.from(signature) } });
    const ended = await probe.ended;
    expect(ended?.palyra.code).toBe('PALYRA_E_RENEWAL_REFUSED');
    // eslint-disable-next-line no-control-regex -- the point: no control character at all
    const controls = /[\u0000-\u001f\u007f]/;
    expect(ended?.palyra.message).not.toMatch(controls);
    const refusals = captured.lines().filter((line) => line.msg === 'certificate renewal refused');
    expect(refusals.length).toBeGreaterThan(0);
    for (const line of refusals) for (const value of Object.values(line)) if (typeof value === 'string') expect(value).not.toMatch(controls);
  });

  it('malformed RenewCertificate messages get coded errors, and the daemon still renews afterwards', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    const anonymous = nodeClient(scope, d.address, clientCredentials(d.caCertPem));
    const cases: Array<{ name: string; send: (probe: RenewProbe, nonce: Uint8Array) => Promise<void> | void; needsChallenge: boolean }> = [
      { name: 'empty first message', needsChallenge: false, send: (p) => p.write({}) },
      { name: 'start without a device id', needsChallenge: false, send: (p) => p.write({ start: { deviceId: '' } }) },
      { name: 'a 1 MiB device id', needsChallenge: false, send: (p) => p.write({ start: { deviceId: 'A'.repeat(1 << 20) } }) },
      { name: 'a lower-case device id', needsChallenge: false, send: (p) => p.write({ start: { deviceId: node.deviceId.toLowerCase() } }) },
      { name: 'an empty proof', needsChallenge: true, send: (p) => p.write({ proof: {} }) },
      { name: 'a 63-byte signature', needsChallenge: true, send: async (p, nonce) => {
        const { message } = await buildProof(node, nonce);
        p.write({ proof: { ...message.proof, signature: randomBytes(63) } });
      } },
      { name: 'an upper-case fingerprint', needsChallenge: true, send: async (p, nonce) => {
        const { message } = await buildProof(node, nonce);
        p.write({ proof: { ...message.proof, currentCertFingerprint: String(message.proof?.currentCertFingerprint).toUpperCase() } });
      } },
      { name: 'a start where the proof belongs', needsChallenge: true, send: (p) => p.write({ start: { deviceId: node.deviceId } }) },
      { name: 'a half-close before the proof', needsChallenge: true, send: (p) => p.end() },
    ];
    for (const client of [certClient(d, node), anonymous]) {
      for (const c of cases) {
        const probe = new RenewProbe(scope, client);
        let nonce: Uint8Array = Buffer.alloc(32);
        if (c.needsChallenge) nonce = (await probe.challenge(node.deviceId))?.nonce ?? nonce;
        await c.send(probe, nonce);
        const ended = await probe.ended;
        expect(ended?.palyra.code, c.name).toBe('PALYRA_E_RENEWAL_PROTOCOL');
        expect(ended?.palyra.message.length, c.name).toBeLessThan(400);
      }
    }
    // A proof with a CSR that is no DER at all, properly signed: refused before anything is signed.
    const probe = new RenewProbe(scope, certClient(d, node));
    const challenge = await probe.challenge(node.deviceId);
    const csrDer = randomBytes(2048);
    const currentCertFingerprint = fingerprint(pemToDer(node.certPem, 'CERTIFICATE'));
    const signature = signRenewal({ nonce: challenge?.nonce ?? Buffer.alloc(32), deviceId: node.deviceId, csrDer, currentCertFingerprint }, Buffer.from(node.ed25519PrivateKey, 'base64'));
    probe.write({ proof: { csrDer, currentCertFingerprint, signature: Buffer.from(signature) } });
    expect((await probe.ended)?.palyra.code).toMatch(/^PALYRA_E_(CERT_INVALID|RENEWAL_REFUSED)$/);
    // Still serving.
    expect(outcomeCode(await renewOn(scope, certClient(d, node), node))).toBe('issued');
  });

  it('make-before-break: RegisterNode with the renewed certificate leaves the node online on its old session until the new session opens, which closes it and deny-lists the old certificate', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    const status = async (): Promise<string | undefined> => (await d.control.listNodes()).find((n) => n.deviceId === node.deviceId)?.status;
    const oldSession = new SessionProbe(scope, certClient(d, node), node.deviceId);
    await oldSession.firstMessage;
    const renewal = await renewOn(scope, certClient(d, node), node);
    if (!renewal.ok) throw new Error(renewal.palyra.message);
    const renewed = renewedIdentity(node, renewal);
    // The agent registers with the new certificate first, then opens its new session: in
    // between, dispatches must still reach it on the old session (a dispatch to an offline
    // node fails at once with PALYRA_E_NODE_UNAVAILABLE).
    expect((await registerNode(certClient(d, renewed), node.deviceId)).ok).toBe(true);
    expect(await status()).toBe('online');
    const newSession = new SessionProbe(scope, certClient(d, renewed), node.deviceId);
    await newSession.firstMessage;
    expectPalyraStatus(await within(oldSession.ended, 5_000, 'the old session ends'), 'PALYRA_E_PERMISSION_DENIED', grpc.status.PERMISSION_DENIED);
    expect(await status()).toBe('online');
    // The old certificate is deny-listed once the new session is up.
    await within(
      (async () => {
        for (;;) {
          const outcome = await registerNode(certClient(d, node), node.deviceId);
          if (!outcome.ok) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })(),
      5_000,
      'the old certificate to be refused',
    );
    expect((await registerNode(certClient(d, renewed), node.deviceId)).ok).toBe(true);
  });
});
