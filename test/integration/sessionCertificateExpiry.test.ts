/**
 * A Session whose certificate expires is closed by the daemon's expiry timer (issue 15,
 * part 7), and the node is then listed offline. Regression: the timer closed the stream but
 * left the session attached in the SessionManager, so `nodes list` showed the node online
 * (and dispatches were queued to a dead stream) until the daemon restarted. Found by
 * test/e2e/cert-expiry-quic.test.ts when the daemon's timer beat the agent's own cut.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CA_SETUP_TIMEOUT_MS, Scope, SessionProbe, TEST_TIMEOUT_MS, clientCredentials, expectPalyraStatus, nodeClient, pairNode, prepareCas, startDaemon, within } from './harness.js';

let scope: Scope;
beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

describe('a Session whose certificate expires', { timeout: TEST_TIMEOUT_MS }, () => {
  it('is closed at the expiry and the node is listed offline', async () => {
    const d = await startDaemon(scope, { daemon: { certValidityMs: 8_000 } });
    const node = await pairNode(scope, d);
    const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: node.tlsPrivateKeyPem, certPem: node.certPem }));
    const session = new SessionProbe(scope, client, node.deviceId);
    expect((await session.firstMessage).body).toBe('welcome');
    const online = (await d.control.listNodes()).find((n) => n.deviceId === node.deviceId);
    expect(online?.status).toBe('online');

    const ended = await within(session.ended, 15_000, 'the session to be closed at its certificate expiry');
    expectPalyraStatus(ended, 'PALYRA_E_PERMISSION_DENIED', grpc.status.PERMISSION_DENIED);
    expect(ended.palyra.message).toMatch(/expired/);
    // The stream is gone: so is the node's presence (the node itself keeps its side open here).
    const deadline = Date.now() + 2_000;
    let status: string | undefined;
    for (;;) {
      status = (await d.control.listNodes()).find((n) => n.deviceId === node.deviceId)?.status;
      if (status === 'offline' || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe('offline');
  });
});
