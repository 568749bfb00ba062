import type { RenewNodesRequest__Output, RenewNodesResponse, RenewTarget } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import { assertDeviceId } from '@palyra/shared/ids';
import type { NodeRegistry } from '../registry/index.js';
import type { NodeRecord } from '../registry/types.js';
import type { SessionManager } from '../sessions/SessionManager.js';

const DEFAULT_REASON = 'asked by an operator (palyrad nodes renew)';
const MAX_REASON_CHARS = 200;

/**
 * AdminService.RenewNodes: pushes RenewNow down the live Session of each node asked for, so it
 * renews at once instead of at two thirds of its lifetime. Offline nodes are listed, not
 * queued: they renew by their own schedule (at start when due) once back.
 */
export function renewNodes(
  request: RenewNodesRequest__Output,
  { registry, sessions }: { registry: NodeRegistry; sessions: SessionManager },
  /** The nodes the caller may act on (a token limited by a node selector); absent: all. */
  visible?: (node: NodeRecord) => boolean,
): RenewNodesResponse {
  const one = request.deviceId !== '';
  if (one === request.all) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'name one node by device id or ask for all of them, not both nor neither');
  }
  if (request.reason.length > MAX_REASON_CHARS) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the reason must be at most ${MAX_REASON_CHARS} characters`);
  }
  let nodes;
  if (one) {
    assertDeviceId(request.deviceId);
    const node = registry.getNode(request.deviceId);
    if (node === undefined) {
      throw new PalyraError('PALYRA_E_NODE_NOT_FOUND', `no registered node ${request.deviceId}: list them with palyrad nodes list`);
    }
    nodes = [node];
  } else {
    nodes = registry.listNodes();
  }
  if (visible !== undefined) nodes = nodes.filter(visible);
  const reason = request.reason === '' ? DEFAULT_REASON : request.reason;
  const asked: RenewTarget[] = [];
  const offline: RenewTarget[] = [];
  for (const node of nodes) {
    const target = { deviceId: node.deviceId, name: node.name };
    const session = sessions.get(node.deviceId);
    if (session === undefined) {
      offline.push(target);
      continue;
    }
    session.send({ renew: { reason } });
    asked.push(target);
  }
  return { asked, offline };
}
