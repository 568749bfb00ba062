import { MAX_LABELS, validateLabels, assertLabelKey, type LabelChange } from '@palyra/shared/labels';
import type { NodeRecord } from './types.js';
import { validateNode } from './validation.js';
import { checked } from './errors.js';

/**
 * The node with an operator's label change applied (LabelNode): `set` overrides, `remove`
 * drops operator labels (a node's own label is the node's to change: removing a key the
 * operator never set changes nothing). Undefined when nothing changes. The operator's labels
 * are bounded as a node's are: PALYRA_E_LABEL_INVALID past MAX_LABELS.
 */
export function applyOperatorLabels(node: Readonly<NodeRecord>, change: LabelChange): NodeRecord | undefined {
  for (const key of change.remove) assertLabelKey(key);
  const next: Record<string, string> = { ...(node.operatorLabels ?? {}) };
  for (const key of change.remove) delete next[key];
  Object.assign(next, validateLabels(change.set));
  const operatorLabels = validateLabels(next, { max: MAX_LABELS });
  const { operatorLabels: _before, ...rest } = node;
  const updated = checked('operator labels', () =>
    validateNode(Object.keys(operatorLabels).length === 0 ? rest : { ...rest, operatorLabels }, 'node'),
  );
  return JSON.stringify(updated) === JSON.stringify(node) ? undefined : updated;
}
