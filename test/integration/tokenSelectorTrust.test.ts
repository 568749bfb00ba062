/**
 * Review of issue 17 (labels): a node's own labels are attacker-controlled (it sends them at
 * RegisterNode). A token limited by `--nodes env=prod` must not have its scope chosen by any
 * paired node that declares env=prod: token selectors match the operator's labels only (as
 * Kubernetes keeps kubelet-set labels out of isolation decisions, NodeRestriction). Real
 * in-process daemon, remote admin endpoint over real TLS, raw RegisterNode.
 */
import { fromServiceError, type NodeServiceClient } from '@palyra/proto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { remoteAdminClient, type RemoteError } from '../helpers/adminRemote.js';
import { CA_SETUP_TIMEOUT_MS, Scope, TEST_TIMEOUT_MS, clientCredentials, nodeClient, pairNode, prepareCas, startDaemon } from './harness.js';

let scope: Scope;
beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

function register(client: NodeServiceClient, deviceId: string, name: string, labels: Record<string, string>, capabilities: string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    client.RegisterNode(
      { deviceId, name, platform: 'linux-x64', hostname: 'h', agentVersion: '0.0.0-test', capabilities, labels },
      { deadline: Date.now() + 10_000 },
      (error) => (error ? reject(fromServiceError(error)) : resolve()),
    );
  });
}

describe('token node selectors and node-declared labels', { timeout: TEST_TIMEOUT_MS }, () => {
  it('a node declaring env=prod does not enter the scope of a token limited by env=prod; the operator label does', async () => {
    const d = await startDaemon(scope, { daemon: { adminListen: { host: '127.0.0.1', port: 0 } } });
    const rogue = await pairNode(scope, d, 'rogue');
    const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: rogue.tlsPrivateKeyPem, certPem: rogue.certPem }));
    await register(client, rogue.deviceId, 'rogue', { env: 'prod' });

    const created = await d.control.createToken({ name: 'prod-ops', role: 'operator', nodes: 'env=prod', ttlSeconds: '3600' });
    const prod = await remoteAdminClient(d.daemon.info.adminTlsAddress ?? '', d.stateDir, created.token);
    scope.defer(() => prod.close());

    // The local owner sees the node's own label (it is shown, just not trusted for scopes).
    expect((await d.control.listNodes()).find((n) => n.deviceId === rogue.deviceId)?.labels).toEqual({ env: 'prod' });
    const listed = await prod.unary<{ nodes?: { deviceId: string }[] }>('ListNodes', {});
    expect((listed.nodes ?? []).map((n) => n.deviceId)).not.toContain(rogue.deviceId);
    const refused = await prod.unary('DescribeNode', { node: rogue.deviceId }).then(
      () => undefined,
      (e: unknown) => e as RemoteError,
    );
    expect(refused?.code).toBe('PALYRA_E_NODE_NOT_FOUND');

    // The operator's label is what a token's selector trusts.
    await d.control.labelNode(rogue.deviceId, { set: { env: 'prod' } });
    const after = await prod.unary<{ nodes?: { deviceId: string }[] }>('ListNodes', {});
    expect((after.nodes ?? []).map((n) => n.deviceId)).toContain(rogue.deviceId);
  });

  it('a token selector on status or capability is refused (a token sees neither, so capability!=shell.exec would match every node)', async () => {
    const d = await startDaemon(scope);
    for (const nodes of ['capability!=shell.exec', 'env=prod,status=online', '!capability', 'capability notin (shell.exec)']) {
      const refused = await d.control.createToken({ name: 'narrow', role: 'operator', nodes, ttlSeconds: '3600' }).then(
        () => undefined,
        (e: unknown) => e as { code?: string },
      );
      expect(refused?.code, nodes).toBe('PALYRA_E_SELECTOR_INVALID');
    }
    expect((await d.control.createToken({ name: 'ok', role: 'operator', nodes: 'env=prod,name=web-1', ttlSeconds: '3600' })).token).toMatch(/^pyt_/);
  });

  it("an admin token limited by a node selector cannot label its node into another token's scope", async () => {
    const d = await startDaemon(scope, { daemon: { adminListen: { host: '127.0.0.1', port: 0 } } });
    const node = await pairNode(scope, d, 'team-a-1');
    await d.control.labelNode(node.deviceId, { set: { team: 'a' } });
    const teamA = await d.control.createToken({ name: 'team-a-admin', role: 'admin', nodes: 'team=a', ttlSeconds: '3600' });
    const prod = await d.control.createToken({ name: 'prod-ops', role: 'operator', nodes: 'env=prod', ttlSeconds: '3600' });
    const a = await remoteAdminClient(d.daemon.info.adminTlsAddress ?? '', d.stateDir, teamA.token);
    scope.defer(() => a.close());
    const p = await remoteAdminClient(d.daemon.info.adminTlsAddress ?? '', d.stateDir, prod.token);
    scope.defer(() => p.close());

    const refused = await a.unary('LabelNode', { node: node.deviceId, set: { env: 'prod' }, remove: [] }).then(
      () => undefined,
      (e: unknown) => e as RemoteError,
    );
    expect(refused?.code).toBe('PALYRA_E_FORBIDDEN');
    expect((await d.control.listNodes()).find((n) => n.deviceId === node.deviceId)?.operatorLabels).toEqual({ team: 'a' });
    expect(((await p.unary<{ nodes?: { deviceId: string }[] }>('ListNodes', {})).nodes ?? []).map((n) => n.deviceId)).toEqual([]);
    // An admin token that sees every node labels as the owner does.
    const all = await d.control.createToken({ name: 'admin', role: 'admin', ttlSeconds: '3600' });
    const admin = await remoteAdminClient(d.daemon.info.adminTlsAddress ?? '', d.stateDir, all.token);
    scope.defer(() => admin.close());
    await admin.unary('LabelNode', { node: node.deviceId, set: { env: 'prod' }, remove: [] });
    expect(((await p.unary<{ nodes?: { deviceId: string }[] }>('ListNodes', {})).nodes ?? []).map((n) => n.deviceId)).toEqual([node.deviceId]);
  });
});
