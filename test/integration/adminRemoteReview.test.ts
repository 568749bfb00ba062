/**
 * Attacks of a node-selector-limited admin token (issue 16 review) on pairing decisions, against
 * a real in-process daemon with its remote admin endpoint over real TLS and a raw pairing client:
 * an impostor claims the device id of a node outside the token's selector under a new key; the
 * token must not approve that identity change (nor decide any request for that node, nor see it
 * listed), while the local owner and a token whose selector matches still can.
 */
import { createCsr, generateTlsKeyPair, type NodeClaims } from '@palyra/shared';
import { generateNodeIdentityKeys } from '@palyra/shared/pairing';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { remoteAdminClient, type RemoteAdmin, type RemoteError } from '../helpers/adminRemote.js';
import { CA_SETUP_TIMEOUT_MS, PairProbe, Scope, TEST_TIMEOUT_MS, confirmByHand, pairNode, pairingClient, prepareCas, startDaemon, type RunningDaemon } from './harness.js';

let scope: Scope;
beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

/** A raw client pairs with a fresh PIN claiming `deviceId` under a new identity key; returns its request id. */
async function claimDevice(d: RunningDaemon, deviceId: string): Promise<{ probe: PairProbe; requestId: string }> {
  const keys = generateNodeIdentityKeys();
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
  return { probe, requestId: confirm?.requestId ?? '' };
}

async function tokenClient(d: RunningDaemon, nodes: string): Promise<RemoteAdmin> {
  const created = await d.control.createToken({ name: `admin-${nodes.replace(/[^A-Za-z0-9]/g, "-")}`, role: 'admin', nodes, ttlSeconds: '3600' });
  const client = await remoteAdminClient(d.daemon.info.adminTlsAddress ?? '', d.stateDir, created.token);
  scope.defer(() => client.close());
  return client;
}

async function failure(promise: Promise<unknown>): Promise<RemoteError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as RemoteError,
  );
  if (error === undefined) throw new Error('the call succeeded');
  return error;
}

describe('pairing decisions of a token limited by a node selector', { timeout: TEST_TIMEOUT_MS }, () => {
  it('cannot approve an identity change (or decide any request) of a node outside its selector', async () => {
    const d = await startDaemon(scope, { daemon: { adminListen: { host: '127.0.0.1', port: 0 } } });
    const victim = await pairNode(scope, d, 'prod-db');
    const before = (await d.control.listNodes()).find((n) => n.deviceId === victim.deviceId)?.certFingerprint;
    const { probe, requestId } = await claimDevice(d, victim.deviceId);

    const staging = await tokenClient(d, 'name=staging-web');
    // The request is about a node the token does not see: it is not listed to it either.
    const listed = await staging.unary<{ requests: { requestId: string }[] }>('ListPending');
    expect(listed.requests.map((r) => r.requestId)).toEqual([]);
    const watch = staging.serverStream<{ snapshot?: { requests: { requestId: string }[] } }>('WatchApprovals', {});
    const [snapshot] = await watch.received(1);
    expect(snapshot?.snapshot?.requests.map((r) => r.requestId)).toEqual([]);
    watch.cancel();
    for (const approve of [true, false]) {
      const refused = await failure(staging.unary('Decide', { id: requestId, approve, replaceIdentity: true }));
      expect(refused.code).toBe('PALYRA_E_FORBIDDEN');
      expect(refused.details).toMatchObject({ permission: 'requests.decide', node: victim.deviceId });
    }
    // Nothing changed: the request still waits, the node keeps its certificate.
    expect((await d.control.listPending()).map((r) => r.requestId)).toEqual([requestId]);
    expect((await d.control.listNodes()).find((n) => n.deviceId === victim.deviceId)?.certFingerprint).toBe(before);
    expect(probe.unread).toEqual([]);

    // A token whose selector matches the node decides it.
    const prod = await tokenClient(d, 'name=prod-db');
    expect((await prod.unary<{ requests: { requestId: string }[] }>('ListPending')).requests.map((r) => r.requestId)).toEqual([requestId]);
    expect(await prod.unary('Decide', { id: requestId, approve: false })).toMatchObject({ requestId, state: 'rejected' });
  });
});
