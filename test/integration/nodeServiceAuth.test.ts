/**
 * NodeService authentication against a real daemon: every RPC needs a client certificate the
 * daemon issued to a registered node, not revoked, naming the device the request names.
 */
import * as grpc from '@grpc/grpc-js';
import { PalyraError, createCsr, generateTlsKeyPair } from '@palyra/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NodeIdentity } from '../../agent/src/identity/index.js';
import type { CapabilityExecutor } from '../../agent/src/connection/CapabilityExecutor.js';
import { NodeConnection } from '../../agent/src/connection/NodeConnection.js';
import {
  CA_SETUP_TIMEOUT_MS,
  PairProbe,
  Scope,
  TEST_TIMEOUT_MS,
  SessionProbe,
  clientCredentials,
  confirmByHand,
  expectPalyraStatus,
  foreignCa,
  nodeClient,
  pairNode,
  pairingClient,
  prepareCas,
  registerNode,
  startDaemon,
  within,
  type RunningDaemon,
} from './harness.js';

/** Generous bound for "closed within a second or two": a liveness check, not a measurement. */
const CLOSE_BOUND_MS = 5_000;

function asClient(identity: NodeIdentity): { keyPem: string; certPem: string } {
  return { keyPem: identity.tlsPrivateKeyPem, certPem: identity.certPem };
}

let scope: Scope;
beforeAll(() => prepareCas('daemon', 'stranger'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

async function expectRefused(
  d: RunningDaemon,
  credentials: grpc.ChannelCredentials,
  deviceId: string,
  code: 'PALYRA_E_UNAUTHENTICATED' | 'PALYRA_E_PERMISSION_DENIED',
): Promise<void> {
  const status = code === 'PALYRA_E_UNAUTHENTICATED' ? grpc.status.UNAUTHENTICATED : grpc.status.PERMISSION_DENIED;
  const client = nodeClient(scope, d.address, credentials);
  expectPalyraStatus(await registerNode(client, deviceId), code, status);
  const session = new SessionProbe(scope, client, deviceId);
  expectPalyraStatus(await session.ended, code, status);
  expect(session.messages, 'no welcome for a refused hello').toEqual([]);
}

describe('NodeService: client certificate checks', { timeout: TEST_TIMEOUT_MS }, () => {
  it('refuses RegisterNode and Session without a client certificate (UNAUTHENTICATED)', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    await expectRefused(d, clientCredentials(d.caCertPem), node.deviceId, 'PALYRA_E_UNAUTHENTICATED');
  });

  it('refuses a certificate from another CA, even for a real device id and key (UNAUTHENTICATED)', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    const stranger = await foreignCa(scope);

    // A stranger's CA certifies a fresh key for the real device id.
    const keys = await generateTlsKeyPair();
    const forged = await stranger.signNodeCsr({
      csrDer: createCsr({ deviceId: node.deviceId, privateKeyPem: keys.privateKeyPem }),
      deviceId: node.deviceId,
    });
    await expectRefused(
      d,
      clientCredentials(d.caCertPem, { keyPem: keys.privateKeyPem, certPem: forged.certPem }),
      node.deviceId,
      'PALYRA_E_UNAUTHENTICATED',
    );

    // Same, with the node's own (stolen) TLS key: only the issuer differs from the real cert.
    const sameKey = await stranger.signNodeCsr({
      csrDer: createCsr({ deviceId: node.deviceId, privateKeyPem: node.tlsPrivateKeyPem }),
      deviceId: node.deviceId,
    });
    await expectRefused(
      d,
      clientCredentials(d.caCertPem, { keyPem: node.tlsPrivateKeyPem, certPem: sameKey.certPem }),
      node.deviceId,
      'PALYRA_E_UNAUTHENTICATED',
    );

    // Control: the genuine certificate works on the same daemon.
    const genuine = nodeClient(scope, d.address, clientCredentials(d.caCertPem, asClient(node)));
    expect((await registerNode(genuine, node.deviceId)).ok).toBe(true);
  });

  it('refuses a revoked certificate (PERMISSION_DENIED), also on a connection opened before the removal', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    const credentials = clientCredentials(d.caCertPem, asClient(node));
    const client = nodeClient(scope, d.address, credentials);
    expect((await registerNode(client, node.deviceId)).ok).toBe(true);

    await d.control.removeNode(node.deviceId);

    // The TLS connection that was authorized before the removal is still up: every RPC re-checks.
    expectPalyraStatus(await registerNode(client, node.deviceId), 'PALYRA_E_PERMISSION_DENIED', grpc.status.PERMISSION_DENIED);
    const session = new SessionProbe(scope, client, node.deviceId);
    expectPalyraStatus(await session.ended, 'PALYRA_E_PERMISSION_DENIED', grpc.status.PERMISSION_DENIED);
    expect(session.messages).toEqual([]);
    // And on a brand-new connection.
    await expectRefused(d, credentials, node.deviceId, 'PALYRA_E_PERMISSION_DENIED');
    expect(await d.control.listNodes()).toEqual([]);
  });

  it("refuses device A's valid certificate used with device B's id (PERMISSION_DENIED) and leaves B untouched", async () => {
    const d = await startDaemon(scope);
    const a = await pairNode(scope, d, 'node-a');
    const b = await pairNode(scope, d, 'node-b');

    // B is online with its own session while A tries to pose as B.
    const bClient = nodeClient(scope, d.address, clientCredentials(d.caCertPem, asClient(b)));
    const bSession = new SessionProbe(scope, bClient, b.deviceId);
    expect((await bSession.firstMessage).body).toBe('welcome');

    await expectRefused(d, clientCredentials(d.caCertPem, asClient(a)), b.deviceId, 'PALYRA_E_PERMISSION_DENIED');

    const nodes = await d.control.listNodes();
    const bInfo = nodes.find((n) => n.deviceId === b.deviceId);
    expect(bInfo?.status, "A's refused hello must not replace B's session").toBe('online');
    expect(bInfo?.hostname, "A's refused RegisterNode must not change B's record").not.toBe('raw-host');
    expect(bSession.messages).toHaveLength(1);
    // B still works.
    expect((await registerNode(bClient, b.deviceId)).ok).toBe(true);
  });

  it('accepts the right certificate with its own device id', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, asClient(node)));

    const registered = await registerNode(client, node.deviceId);
    if (!registered.ok) throw registered.palyra;
    expect(Date.parse(registered.value.certExpiresAt)).toBe(Date.parse(node.certExpiresAt));
    expect(registered.value.daemonVersion).not.toBe('');

    const session = new SessionProbe(scope, client, node.deviceId);
    const welcome = await session.firstMessage;
    expect(welcome.body).toBe('welcome');
    expect(welcome.welcome?.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const [info] = await d.control.listNodes();
    expect(info).toMatchObject({ deviceId: node.deviceId, status: 'online', hostname: 'raw-host' });
  });

  it('refuses a Session that does not open with hello with PALYRA_E_SESSION_PROTOCOL, not a pairing code', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, asClient(node)));
    const session = new SessionProbe(scope, client, node.deviceId, { first: { started: { dispatchId: 'x' } } });
    const refused = expectPalyraStatus(await session.ended, 'PALYRA_E_SESSION_PROTOCOL', grpc.status.INVALID_ARGUMENT);
    expect(refused.message).toMatch(/first session message must be hello/);
    expect(session.messages, 'no welcome without a hello').toEqual([]);
  });
});

describe('NodeService: removal of a connected node', { timeout: TEST_TIMEOUT_MS }, () => {
  it('closes the live Session stream with PERMISSION_DENIED right after nodes remove', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    const other = await pairNode(scope, d, 'bystander');
    const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, asClient(node)));
    const session = new SessionProbe(scope, client, node.deviceId);
    expect((await session.firstMessage).body).toBe('welcome');
    const otherSession = new SessionProbe(
      scope,
      nodeClient(scope, d.address, clientCredentials(d.caCertPem, asClient(other))),
      other.deviceId,
    );
    expect((await otherSession.firstMessage).body).toBe('welcome');

    await d.control.removeNode(node.deviceId);

    const closed = await within(session.ended, CLOSE_BOUND_MS, "the removed node's session to be closed");
    const error = expectPalyraStatus(closed, 'PALYRA_E_PERMISSION_DENIED', grpc.status.PERMISSION_DENIED);
    expect(error.message).toMatch(/removed|revoked/);
    const nodes = await d.control.listNodes();
    expect(nodes.map((n) => [n.deviceId, n.status])).toEqual([[other.deviceId, 'online']]);
  });

  it('closes the live Session of a certificate that a re-pairing of the same device replaced', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    const oldCredentials = clientCredentials(d.caCertPem, asClient(node));
    const session = new SessionProbe(scope, nodeClient(scope, d.address, oldCredentials), node.deviceId);
    expect((await session.firstMessage).body).toBe('welcome');

    // The device pairs again (same device id and identity key, new TLS key), e.g. because its
    // old key leaked; the operator approves. The old certificate is revoked by that approval.
    const { code: pin } = await d.control.createPairingCode({ method: 'pin' });
    const tls = await generateTlsKeyPair();
    const ed25519PrivateKey = Buffer.from(node.ed25519PrivateKey, 'base64');
    const probe = new PairProbe(scope, await pairingClient(scope, d));
    await confirmByHand(
      probe,
      pin,
      {
        deviceId: node.deviceId,
        name: node.name,
        platform: 'linux-x64',
        hostname: 'same-device',
        agentVersion: '0.0.0-test',
        capabilities: [],
        ed25519PublicKey: Buffer.from(node.ed25519PublicKey, 'base64'),
        x25519PublicKey: Buffer.from(node.x25519PublicKey, 'base64'),
        csrDer: createCsr({ deviceId: node.deviceId, privateKeyPem: tls.privateKeyPem }),
      },
      ed25519PrivateKey,
    );
    const confirm = (await probe.next()).confirm;
    expect(confirm?.repair, 'shown to the operator as a re-pairing').toBe(true);
    await d.control.decide(confirm?.requestId ?? '', true);

    const closed = await within(session.ended, CLOSE_BOUND_MS, 'the session of the replaced certificate to be closed');
    expectPalyraStatus(closed, 'PALYRA_E_PERMISSION_DENIED', grpc.status.PERMISSION_DENIED);
    await expectRefused(d, oldCredentials, node.deviceId, 'PALYRA_E_PERMISSION_DENIED');
  });

  it("makes the agent's NodeConnection stop with PERMISSION_DENIED instead of retrying", async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    const abort = new AbortController();
    scope.defer(() => abort.abort());
    let readyOnce!: () => void;
    const ready = new Promise<void>((resolve) => {
      readyOnce = resolve;
    });
    const disconnects: string[] = [];
    // No plugins: this test is about the connection, not about capabilities.
    const noCapabilities: CapabilityExecutor = {
      capabilities: () => [],
      execute: async () => ({ status: 'rejected', error: new PalyraError('PALYRA_E_INTERNAL', 'no capabilities here') }),
    };
    const connection = new NodeConnection(node, noCapabilities, {
      onReady: () => readyOnce(),
      onDisconnected: ({ error }) => disconnects.push(error.code),
    });
    const running = connection.run({ signal: abort.signal });
    running.catch(() => undefined);
    await within(ready, 15_000, 'the node to come online');

    await d.control.removeNode(node.deviceId);

    await expect(within(running, CLOSE_BOUND_MS, 'the node connection to end')).rejects.toMatchObject({
      code: 'PALYRA_E_PERMISSION_DENIED',
    });
    expect(disconnects, 'a revoked node must not go into the retry loop').toEqual([]);
  });
});
