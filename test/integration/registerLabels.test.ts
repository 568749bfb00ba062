/**
 * A node's labels are its own input (attacker-controlled): RegisterNode refuses the whole
 * registration with PALYRA_E_LABEL_INVALID when one breaks the syntax or the count limit, and
 * stores nothing; valid ones are stored and shown as the node's. Real in-process daemon.
 */
import * as grpc from '@grpc/grpc-js';
import { fromServiceError, type NodeServiceClient, type RegisterNodeResponse__Output } from '@palyra/proto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CA_SETUP_TIMEOUT_MS, Scope, TEST_TIMEOUT_MS, clientCredentials, nodeClient, pairNode, prepareCas, startDaemon, type CallOutcome } from './harness.js';

let scope: Scope;
beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

function register(client: NodeServiceClient, deviceId: string, labels: Record<string, string>): Promise<CallOutcome<RegisterNodeResponse__Output>> {
  return new Promise((resolve) => {
    client.RegisterNode(
      { deviceId, name: 'labelled', platform: 'linux-x64', hostname: 'h', agentVersion: '0.0.0-test', capabilities: [], labels },
      { deadline: Date.now() + 10_000 },
      (error, value) => {
        if (error) resolve({ ok: false, error, palyra: fromServiceError(error) });
        else resolve({ ok: true, value: value as RegisterNodeResponse__Output });
      },
    );
  });
}

describe('RegisterNode labels', { timeout: TEST_TIMEOUT_MS }, () => {
  it('refuses bad labels with a coded error the node sees, storing nothing; stores good ones', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: node.tlsPrivateKeyPem, certPem: node.certPem }));
    const labelsOf = async (): Promise<{ labels: Record<string, string>; nodeLabels: Record<string, string> } | undefined> =>
      (await d.control.listNodes()).find((n) => n.deviceId === node.deviceId);

    const good = await register(client, node.deviceId, { role: 'web', 'example.com/tier': 'front' });
    expect(good.ok).toBe(true);
    expect(await labelsOf()).toMatchObject({ labels: { role: 'web', 'example.com/tier': 'front' }, nodeLabels: { role: 'web', 'example.com/tier': 'front' } });

    const cases: Record<string, string>[] = [
      { '-role': 'web' },
      { role: 'w\u001b[2Jeb' },
      { ['k'.repeat(64)]: 'v' },
      { role: 'v'.repeat(64) },
      Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])),
    ];
    for (const labels of cases) {
      const refused = await register(client, node.deviceId, labels);
      expect(refused.ok, JSON.stringify(labels).slice(0, 80)).toBe(false);
      if (!refused.ok) {
        expect(refused.palyra.code).toBe('PALYRA_E_LABEL_INVALID');
        expect(refused.error.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(refused.palyra.message).not.toContain('\u001b');
      }
      // Nothing stored: the labels of the last good registration stay.
      expect((await labelsOf())?.nodeLabels).toEqual({ role: 'web', 'example.com/tier': 'front' });
    }
  });
});
