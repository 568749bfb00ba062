import { expect } from 'vitest';
import type { NodeServiceClient } from '@palyra/proto';
import type { NodeIdentity } from '../../agent/src/identity/index.js';
import { clientCredentials, confirmedOrFailed, nodeClient, startJoin, type Scope } from '../integration/harness.js';
import type { DaemonProcess } from './daemonHarness.js';

/**
 * What a rogue node holds after an honest pairing: an identity paired through the real join
 * and approved with the built palyrad, and a raw NodeService client presenting its issued
 * certificate, free to send whatever the protocol allows.
 */
export async function pairedNodeIdentity(scope: Scope, daemon: DaemonProcess, name: string): Promise<NodeIdentity> {
  const join = startJoin(scope, daemon.ready.grpc, await daemon.mintPin(), { name });
  const { requestId } = await confirmedOrFailed(join);
  const approved = await daemon.cli('nodes', 'approve', requestId);
  expect(approved.code, approved.stderr).toBe(0);
  return join.result;
}

export function nodeServiceClientOf(scope: Scope, daemon: DaemonProcess, node: NodeIdentity): NodeServiceClient {
  return nodeClient(scope, daemon.ready.grpc, clientCredentials(node.caCertPem, { keyPem: node.tlsPrivateKeyPem, certPem: node.certPem }));
}
