/**
 * Device-id takeover (issue 12, item 2): a client holding a fresh PIN asks to pair with the
 * device id of a registered node and a new Ed25519 identity key. Against a real daemon and a
 * raw pairing client, through the built `palyrad` CLI: the request is flagged as an identity
 * change with both key fingerprints, a plain approve refuses it (coded error, still pending),
 * `--replace-identity` approves it, `--auto-approve all` never does, and a re-pair with the
 * same key stays a plain re-pair.
 */
import { createCsr, fingerprint, generateTlsKeyPair, identityKeyFingerprint, pemToDer, type NodeClaims } from '@palyra/shared';
import { generateNodeIdentityKeys } from '@palyra/shared/pairing';
import { cleanup, render } from 'ink-testing-library';
import { createElement } from 'react';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { controlClientSource } from '../../daemon/src/approvals/approvalsFeed.js';
import { ApprovalsApp } from '../../daemon/src/ui/ApprovalsApp.js';
import { plain, settle, waitForFrame } from '../../daemon/test/ui/helpers.js';
import type { NodeIdentity } from '../../agent/src/identity/index.js';
import { daemonCli } from '../helpers/daemonHarness.js';
import {
  CA_SETUP_TIMEOUT_MS,
  PairProbe,
  Scope,
  TEST_TIMEOUT_MS,
  confirmByHand,
  pairNode,
  pairingClient,
  prepareCas,
  startDaemon,
  startJoin,
  type RunningDaemon,
} from './harness.js';

let scope: Scope;
beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  cleanup();
  await scope.dispose();
});

interface PendingJson {
  requestId: string;
  deviceId: string;
  repair: boolean;
  identityChange: boolean;
  keyFingerprint: string;
  previousKeyFingerprint: string | null;
}

/**
 * Runs the raw node side of a pairing with a fresh PIN, claiming `deviceId` with `keys`
 * (a new pair unless given); returns the probe (waiting for its decision) and the request id.
 */
async function claimDevice(
  d: RunningDaemon,
  deviceId: string,
  keys: { ed25519: { publicKey: Uint8Array; privateKey: Uint8Array }; x25519: { publicKey: Uint8Array } } = generateNodeIdentityKeys(),
): Promise<{ probe: PairProbe; requestId: string; repair: boolean }> {
  const { code: pin } = await d.control.createPairingCode({ method: 'pin' });
  const tls = await generateTlsKeyPair();
  const claims: NodeClaims = {
    deviceId,
    name: 'impostor',
    platform: 'linux-x64',
    hostname: 'elsewhere',
    agentVersion: '0.0.0-test',
    capabilities: [],
    ed25519PublicKey: keys.ed25519.publicKey,
    x25519PublicKey: keys.x25519.publicKey,
    csrDer: createCsr({ deviceId, privateKeyPem: tls.privateKeyPem }),
  };
  const probe = new PairProbe(scope, await pairingClient(scope, d));
  await confirmByHand(probe, pin, claims, keys.ed25519.privateKey);
  const confirm = (await probe.next()).confirm;
  expect((await probe.next()).decision?.state).toBe('STATE_PENDING_APPROVAL');
  return { probe, requestId: confirm?.requestId ?? '', repair: confirm?.repair ?? false };
}

function ownKeys(identity: NodeIdentity) {
  const bytes = (b64: string): Uint8Array => Uint8Array.from(Buffer.from(b64, 'base64'));
  return {
    ed25519: { publicKey: bytes(identity.ed25519PublicKey), privateKey: bytes(identity.ed25519PrivateKey) },
    x25519: { publicKey: bytes(identity.x25519PublicKey) },
  };
}

async function pendingJson(d: RunningDaemon): Promise<PendingJson[]> {
  const result = await daemonCli(d.stateDir, 'nodes', 'pending', '--json');
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as PendingJson[];
}

async function registeredFingerprint(d: RunningDaemon, deviceId: string): Promise<string | undefined> {
  return (await d.control.listNodes()).find((n) => n.deviceId === deviceId)?.certFingerprint;
}

describe('identity change: a registered device id claimed under another key', { timeout: TEST_TIMEOUT_MS }, () => {
  it('is flagged with both fingerprints, refused by a plain approve, approved only with --replace-identity', async () => {
    const d = await startDaemon(scope);
    const victim = await pairNode(scope, d, 'victim');
    const victimCert = fingerprint(pemToDer(victim.certPem, 'CERTIFICATE'));
    const keys = generateNodeIdentityKeys();
    const { probe, requestId, repair } = await claimDevice(d, victim.deviceId, keys);
    expect(repair).toBe(false);

    const oldKey = identityKeyFingerprint(Buffer.from(victim.ed25519PublicKey, 'base64'));
    const newKey = identityKeyFingerprint(keys.ed25519.publicKey);
    expect(oldKey).not.toBe(newKey);
    const [row] = await pendingJson(d);
    expect(row).toMatchObject({
      requestId,
      deviceId: victim.deviceId,
      repair: false,
      identityChange: true,
      keyFingerprint: newKey,
      previousKeyFingerprint: oldKey,
    });
    const text = await daemonCli(d.stateDir, 'nodes', 'pending');
    expect(text.stdout).toContain(`IDENTITY CHANGE: device ${victim.deviceId} is registered with identity key ${oldKey}`);
    expect(text.stdout).toContain(`another key ${newKey}`);
    expect(text.stdout).toContain(`palyrad nodes approve ${requestId} --replace-identity`);

    // A plain approve (by request id, or by device id) refuses, says what to pass, changes nothing.
    for (const id of [requestId, victim.deviceId]) {
      const refused = await daemonCli(d.stateDir, 'nodes', 'approve', id);
      expect(refused.code).toBe(77);
      expect(refused.stderr).toMatch(/^error PALYRA_E_IDENTITY_CHANGE: .*--replace-identity/m);
      expect(refused.stderr).toContain(oldKey);
      expect(refused.stderr).toContain(newKey);
    }
    expect((await pendingJson(d)).map((r) => r.requestId)).toEqual([requestId]);
    expect(await registeredFingerprint(d, victim.deviceId)).toBe(victimCert);
    expect(probe.unread).toEqual([]);

    // With the flag it goes through: the node is replaced, the old certificate revoked.
    const approved = await daemonCli(d.stateDir, 'nodes', 'approve', requestId, '--replace-identity', '--json');
    expect(approved.code, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ requestId, state: 'approved', identityChange: true });
    const decision = (await probe.next()).decision;
    expect(decision?.state).toBe('STATE_APPROVED');
    const [node] = await d.control.listNodes();
    expect(node?.certFingerprint).toBe(fingerprint(decision?.certDer ?? Buffer.alloc(0)));
    expect(node?.certFingerprint).not.toBe(victimCert);
  });

  it('rejecting one needs no flag', async () => {
    const d = await startDaemon(scope);
    const victim = await pairNode(scope, d, 'victim');
    const { probe, requestId } = await claimDevice(d, victim.deviceId);
    const rejected = await daemonCli(d.stateDir, 'nodes', 'reject', requestId);
    expect(rejected.code, rejected.stderr).toBe(0);
    expect((await probe.next()).decision?.state).toBe('STATE_REJECTED');
    expect(await registeredFingerprint(d, victim.deviceId)).toBe(fingerprint(pemToDer(victim.certPem, 'CERTIFICATE')));
  });

  it('a re-pair with the same key stays repair, not an identity change, and needs no flag', async () => {
    const d = await startDaemon(scope);
    const victim = await pairNode(scope, d, 'victim');
    const { probe, requestId, repair } = await claimDevice(d, victim.deviceId, ownKeys(victim));
    expect(repair).toBe(true);
    const [row] = await pendingJson(d);
    expect(row).toMatchObject({ requestId, repair: true, identityChange: false, previousKeyFingerprint: null });
    expect(row?.keyFingerprint).toBe(identityKeyFingerprint(Buffer.from(victim.ed25519PublicKey, 'base64')));
    expect((await daemonCli(d.stateDir, 'nodes', 'pending')).stdout).not.toContain('IDENTITY CHANGE');
    const approved = await daemonCli(d.stateDir, 'nodes', 'approve', requestId);
    expect(approved.code, approved.stderr).toBe(0);
    expect((await probe.next()).decision?.state).toBe('STATE_APPROVED');
  });

  it('--auto-approve all never approves one (it approves the requests around it)', async () => {
    const d = await startDaemon(scope, { daemon: { autoApprove: 'all' } });
    const { code: firstPin } = await d.control.createPairingCode({ method: 'pin' });
    const victim = await startJoin(scope, d.address, firstPin, { name: 'victim' }).result;
    const { probe, requestId } = await claimDevice(d, victim.deviceId);
    // A request that came after it is approved by the policy: it has looked at ours by then.
    const { code: laterPin } = await d.control.createPairingCode({ method: 'pin' });
    await startJoin(scope, d.address, laterPin, { name: 'later' }).result;

    expect((await pendingJson(d)).find((r) => r.requestId === requestId)).toMatchObject({ identityChange: true });
    expect(probe.unread).toEqual([]);
    expect(await registeredFingerprint(d, victim.deviceId)).toBe(fingerprint(pemToDer(victim.certPem, 'CERTIFICATE')));
    const refused = await daemonCli(d.stateDir, 'nodes', 'approve', requestId);
    expect(refused.stderr).toMatch(/^error PALYRA_E_IDENTITY_CHANGE: /m);
  });

  it('the approvals TUI shows it and approves it only after the second, explicit R', async () => {
    const d = await startDaemon(scope);
    const victim = await pairNode(scope, d, 'victim');
    const keys = generateNodeIdentityKeys();
    const app = render(createElement(ApprovalsApp, { source: controlClientSource(d.control), size: { columns: 80, rows: 24 } }));
    const until = (text: string): Promise<string> => waitForFrame(() => plain(app.lastFrame()), (f) => f.includes(text), { what: text, timeoutMs: 30_000 });
    await until('no pairing requests waiting');
    const { probe } = await claimDevice(d, victim.deviceId, keys);
    await until('NEW KEY');
    await settle();
    app.stdin.write('a');
    const first = await until('IDENTITY CHANGE');
    const oldKey = identityKeyFingerprint(Buffer.from(victim.ed25519PublicKey, 'base64'));
    const newKey = identityKeyFingerprint(keys.ed25519.publicKey);
    expect(first).toContain(`IDENTITY CHANGE: registered key ${oldKey} → ${newKey}`);
    app.stdin.write('y');
    await until('REPLACE IDENTITY');
    // A second y is not the second confirmation: the n after it still finds the question open.
    app.stdin.write('y');
    app.stdin.write('n');
    await until('cancelled: nothing was decided');
    expect(probe.unread).toEqual([]);
    expect(await registeredFingerprint(d, victim.deviceId)).toBe(fingerprint(pemToDer(victim.certPem, 'CERTIFICATE')));
    app.stdin.write('a');
    await until('IDENTITY CHANGE');
    app.stdin.write('y');
    await until('REPLACE IDENTITY');
    app.stdin.write('R');
    await until('approved impostor');
    expect((await probe.next()).decision?.state).toBe('STATE_APPROVED');
  });
});
