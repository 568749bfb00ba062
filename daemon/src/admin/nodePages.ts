import { PalyraError } from '@palyra/shared/errors';
import { isValidDeviceId } from '@palyra/shared/ids';
import { mergeLabels } from '@palyra/shared/labels';
import { matchesSelector, parseSelector, type NodeSelector, type SelectorSubject } from '@palyra/shared/selectors';
import type { NodeRecord } from '../registry/types.js';

/** Nodes per ListNodes page (and approvals snapshot message) when the caller names none. */
export const DEFAULT_NODE_PAGE_SIZE = 500;
/** The largest page: no message grows with the fleet. */
export const MAX_NODE_PAGE_SIZE = 5000;

const CURSOR_PREFIX = 'n1.';

/** A node as selectors see it (nodes list -l, fan-out): merged labels, live status, capabilities. */
export function selectorSubjectOf(node: Readonly<NodeRecord>, online: boolean): SelectorSubject {
  return {
    name: node.name,
    deviceId: node.deviceId,
    platform: node.platform,
    labels: mergeLabels(node.labels, node.operatorLabels ?? {}),
    status: online ? 'online' : 'offline',
    capabilities: node.capabilities,
  };
}

/** The page size a request asks for: 0 is the default; more than the maximum is refused. */
export function nodePageSize(requested: number): number {
  if (requested === 0) return DEFAULT_NODE_PAGE_SIZE;
  if (!Number.isInteger(requested) || requested < 0 || requested > MAX_NODE_PAGE_SIZE) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `page_size is at most ${MAX_NODE_PAGE_SIZE} (0: ${DEFAULT_NODE_PAGE_SIZE})`, { details: { pageSize: requested } });
  }
  return requested;
}

/**
 * The cursor after `deviceId`. Opaque to callers; it holds the last device id of the page, so
 * that the next page starts after it in device id order: nodes added or removed between pages
 * never make a node repeat or another one skipped (except, naturally, those added or removed).
 */
export function encodeNodeCursor(deviceId: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${deviceId}`, 'utf8').toString('base64url');
}

export function decodeNodeCursor(token: string): string | undefined {
  if (token === '') return undefined;
  const text = token.length <= 128 ? Buffer.from(token, 'base64url').toString('utf8') : '';
  const deviceId = text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length) : '';
  if (!isValidDeviceId(deviceId)) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'page_token is not one this daemon handed out: start again without it');
  return deviceId;
}

export interface NodePageQuery {
  /** Selector text ("" for every node); a parse error is PALYRA_E_SELECTOR_INVALID. */
  selector: string;
  pageSize: number;
  pageToken: string;
}

export interface NodePage {
  nodes: Readonly<NodeRecord>[];
  /** "" on the last page. */
  nextPageToken: string;
}

/**
 * One page of `nodes` in device id order: those after the cursor that the caller may see
 * (`visible`) and that match the selector (`online` gives the status the selector sees).
 */
export function pageOfNodes(
  nodes: readonly Readonly<NodeRecord>[],
  query: NodePageQuery,
  { visible, online }: { visible?: (node: Readonly<NodeRecord>) => boolean; online: (deviceId: string) => boolean },
): NodePage {
  const size = nodePageSize(query.pageSize);
  const selector: NodeSelector = parseSelector(query.selector);
  const after = decodeNodeCursor(query.pageToken);
  const sorted = [...nodes].sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
  const page: Readonly<NodeRecord>[] = [];
  for (const node of sorted) {
    if (after !== undefined && node.deviceId <= after) continue;
    if (visible !== undefined && !visible(node)) continue;
    if (selector.requirements.length > 0 && !matchesSelector(selector, selectorSubjectOf(node, online(node.deviceId)))) continue;
    if (page.length === size) {
      // One more match exists: the caller asks again from the last one sent.
      return { nodes: page, nextPageToken: encodeNodeCursor(page[page.length - 1]!.deviceId) };
    }
    page.push(node);
  }
  return { nodes: page, nextPageToken: '' };
}
