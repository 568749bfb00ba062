import { PalyraError } from '@palyra/shared/errors';
import { assertDeviceId } from '@palyra/shared/ids';
import type { Transaction } from './RegistryTransaction.js';
import type { NodeInfoUpdate } from './registryInputs.js';
import { checked } from './errors.js';
import type { NodeRecord } from './types.js';
import { validateNode } from './validation.js';

/**
 * A registered node's record with what it announces applied (RegisterNode, TrustAck). Every
 * result is validated: the announcement came from the node.
 */

/** The node `deviceId` as `tx` sees it (committed, without one); PALYRA_E_NODE_NOT_FOUND otherwise. */
export function findNode(tx: Transaction | undefined, deviceId: string): Readonly<NodeRecord> {
  const node = tx === undefined ? undefined : tx.nodes.get(deviceId);
  if (node === undefined) {
    // Device ids have one spelling (canonical upper case): a lower-case one is refused, as everywhere.
    assertDeviceId(deviceId);
    throw new PalyraError('PALYRA_E_NODE_NOT_FOUND', `no registered node ${deviceId}: list them with palyrad nodes list`);
  }
  return node;
}

/** The node record with `info` applied (validated), or undefined when it changes nothing. */
export function nodeInfoChanges(node: Readonly<NodeRecord>, info: NodeInfoUpdate): NodeRecord | undefined {
  const updated = checked('node info', () =>
    validateNode(
      {
        ...node,
        name: info.name ?? node.name,
        platform: info.platform,
        hostname: info.hostname,
        agentVersion: info.agentVersion,
        capabilities: [...info.capabilities],
        labels: info.labels === undefined ? node.labels : { ...info.labels },
      },
      'node',
    ),
  );
  return JSON.stringify(updated) === JSON.stringify(node) ? undefined : updated;
}

/** CA fingerprints as recorded: lowercase, without duplicates, sorted (so an unchanged set compares equal). */
export function normalizeTrustedCas(fingerprints: readonly string[]): string[] {
  return [...new Set(fingerprints.map((fp) => fp.toLowerCase()))].sort();
}

/** Whether the node already records exactly these (normalized) trusted CAs. */
export function trustedCasUnchanged(node: Readonly<NodeRecord>, trusted: readonly string[]): boolean {
  return JSON.stringify(node.trustedCaFingerprints ?? null) === JSON.stringify(trusted);
}

/** The node record with these trusted CAs (validated: at most 8). */
export function withTrustedCas(node: Readonly<NodeRecord>, trusted: readonly string[]): NodeRecord {
  return checked('trusted CAs', () => validateNode({ ...node, trustedCaFingerprints: [...trusted] }, 'node'));
}
