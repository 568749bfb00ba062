import { PalyraError } from '@palyra/shared/errors';
import { assertDeviceId } from '@palyra/shared/ids';
import type { Actor } from '../access/Actor.js';
import { nodeVisible, seesEveryNode } from '../access/scopes.js';
import type { DispatchCoordinator } from '../dispatch/index.js';
import type { NodeRegistry } from '../registry/index.js';

/** Whether a caller may see a node, by device id. */
export type NodeFilter = (deviceId: string) => boolean;

/**
 * What a caller sees of the fleet. A token limited by a node selector sees only the nodes it
 * matches: every other node, its dispatches and its events are answered as if they did not
 * exist, so that such a token learns nothing of them (not even that they are there).
 */
export class NodeVisibility {
  constructor(
    private readonly registry: NodeRegistry,
    private readonly dispatcher: DispatchCoordinator,
  ) {}

  node(actor: Actor, deviceId: string): boolean {
    return seesEveryNode(actor) || nodeVisible(actor, this.registry.getNode(deviceId));
  }

  /** A pairing request the caller is shown: a new device's, or one of a registered node it sees. */
  request(actor: Actor, deviceId: string): boolean {
    return this.registry.getNode(deviceId) === undefined || this.node(actor, deviceId);
  }

  /** The caller's filter of nodes, or undefined when it sees every one (no filtering to do). */
  nodeFilter(actor: Actor): NodeFilter | undefined {
    return seesEveryNode(actor) ? undefined : (deviceId) => this.node(actor, deviceId);
  }

  /** The caller's filter of pairing requests, or undefined when it sees every one. */
  requestFilter(actor: Actor): NodeFilter | undefined {
    return seesEveryNode(actor) ? undefined : (deviceId) => this.request(actor, deviceId);
  }

  /** A node the caller may not see is answered as if it were not registered (RemoveNode, RenewNodes). */
  assertNode(actor: Actor, deviceId: string): void {
    if (seesEveryNode(actor)) return;
    assertDeviceId(deviceId);
    if (!this.node(actor, deviceId)) throw new PalyraError('PALYRA_E_NODE_NOT_FOUND', `no registered node ${deviceId}: list them with palyrad nodes list`);
  }

  /** A dispatch on a node the caller may not see is answered as if it did not exist. */
  async assertDispatch(actor: Actor, dispatchId: string): Promise<void> {
    if (seesEveryNode(actor)) return;
    const summary = await this.dispatcher.describe(dispatchId);
    if (!this.node(actor, summary.deviceId)) throw dispatchNotFound(dispatchId);
  }
}

/** The answer for a dispatch a narrowed token may not see: the same as for one that does not exist. */
export function dispatchNotFound(dispatchId: string): PalyraError {
  return new PalyraError('PALYRA_E_DISPATCH_NOT_FOUND', `no dispatch "${dispatchId}": list them with palyrad dispatches list`);
}
