import { PalyraError, type PalyraErrorJson } from '@palyra/shared/errors';
import type { FanoutNodeResult } from '../client/fanout/types.js';
import type { InvocationResult } from '../client/invocation.js';
import { cleanText } from './toolText.js';
import type { ToolCallOutcome } from './types.js';

/** An error message as an agent reads it (node text: sanitized, bounded). */
const MAX_ERROR_MESSAGE = 2_048;
/** Output JSON a fan-out's result keeps in all; past it a node's output is left out (`outputOmitted`). */
export const MAX_FANOUT_OUTPUT_CHARS = 8 * 1024 * 1024;
/** The image types MCP clients render; anything else stays in the structured result. */
const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The type the first bytes of an image are (its signature), or undefined when they are no image MCP clients render. */
function sniffImageType(head: Buffer): string | undefined {
  const ascii = (from: number, to: number): string => head.subarray(from, to).toString('latin1');
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'image/gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/** The code of a result that carries no error of its own (the daemon normally sets one). */
const STATUS_CODES: Readonly<Record<string, string>> = {
  timed_out: 'PALYRA_E_TIMEOUT',
  cancelled: 'PALYRA_E_CANCELLED',
  skipped: 'PALYRA_E_CANCELLED',
  node_unavailable: 'PALYRA_E_NODE_UNAVAILABLE',
};

type Images = ToolCallOutcome['images'];

/** A fan-out result's output dropped as it arrived (past the budget): fanoutOutcome marks it `outputOmitted`. */
export const OUTPUT_OMITTED: unique symbol = Symbol('palyra.tools.outputOmitted');

/**
 * Output nesting passed on: a node may send any JSON, JSON.parse reads 100,000 levels but
 * JSON.stringify (this layer's, the MCP transport's) overflows the stack at a few thousand.
 */
export const MAX_OUTPUT_DEPTH = 256;

/** True when `value` nests at most `max` levels of arrays and objects (iterative: no recursion to overflow). */
export function nestsWithin(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const [current, depth] = item;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= max) return false;
    for (const child of Object.values(current)) if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
  }
  return true;
}

const TOO_DEEP = { code: 'PALYRA_E_OUTPUT_INVALID', message: `the node's output nests deeper than ${MAX_OUTPUT_DEPTH} levels: it is not passed on` };

/** One node's result: its output (an object, else `{ result }`), or `{ status, error }` when it did not succeed. */
export function singleOutcome(result: InvocationResult): ToolCallOutcome {
  if (!nestsWithin(result.output, MAX_OUTPUT_DEPTH)) {
    return outcome(true, { status: result.status, error: result.status === 'succeeded' ? TOO_DEEP : errorBody(result.error, result.status) }, []);
  }
  const images: Images = [];
  const output = takeImage(result.output, images);
  if (result.status === 'succeeded') {
    return outcome(false, isPlainObject(output) ? output : { result: output }, images);
  }
  const structured: Record<string, unknown> = { status: result.status, error: errorBody(result.error, result.status) };
  if (output !== null && output !== undefined) structured.output = output;
  return outcome(true, structured, images);
}

/** A fan-out's results in node order, with a summary; an error only when no node succeeded. */
export function fanoutOutcome(results: readonly FanoutNodeResult[]): ToolCallOutcome {
  const images: Images = [];
  let budget = MAX_FANOUT_OUTPUT_CHARS;
  // Node order, not completion order: the same call reads the same way each time.
  const ordered = [...results].sort((a, b) => a.node.localeCompare(b.node) || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
  const rows = ordered.map((r) => {
    const before = images.length;
    // One node's output nested too deep is left out, never the whole fan-out's results;
    // so is one past the budget, which counts image data too (a screenshot per node adds up).
    const usable = r.output !== OUTPUT_OMITTED && nestsWithin(r.output, MAX_OUTPUT_DEPTH);
    const size = !usable || r.output === undefined ? 0 : (JSON.stringify(r.output) ?? '').length;
    const fits = usable && size <= budget;
    if (fits) budget -= size;
    const output = fits ? takeImage(r.output, images) : undefined;
    // Which image content is this node's (content[1 + image]): several nodes may send one.
    const image = images.length > before ? { image: before } : {};
    return {
      node: r.node,
      deviceId: r.deviceId,
      status: r.status,
      ok: r.ok,
      output: fits ? (output ?? null) : null,
      ...(fits ? {} : { outputOmitted: true }),
      error: r.error === null ? null : errorBody(r.error, r.status),
      ...image,
    };
  });
  const succeeded = results.filter((r) => r.status === 'succeeded').length;
  return outcome(succeeded === 0, { results: rows, summary: { total: results.length, succeeded, failed: results.length - succeeded } }, images);
}

/**
 * A call that ended before or outside a dispatch (PALYRA_E_FORBIDDEN, _TOOL_ARGUMENTS, a node
 * not found, no node matching the selector, the daemon unreachable) as a result the agent can
 * read and act on, rather than a protocol error.
 */
export function errorOutcome(error: unknown): ToolCallOutcome {
  const palyra = PalyraError.from(error);
  const body: Record<string, unknown> = { code: palyra.code, message: cleanText(palyra.message, MAX_ERROR_MESSAGE) };
  const permission = palyra.details?.permission;
  if (typeof permission === 'string') body.details = { permission };
  return outcome(true, { status: 'rejected', error: body }, []);
}

function errorBody(error: PalyraErrorJson | null, status: string): { code: string; message: string } {
  if (error === null) return { code: STATUS_CODES[status] ?? 'PALYRA_E_INTERNAL', message: `the dispatch ended ${status}` };
  return { code: error.code, message: cleanText(error.message, MAX_ERROR_MESSAGE) };
}

function outcome(isError: boolean, structured: Record<string, unknown>, images: Images): ToolCallOutcome {
  return { isError, structured, text: JSON.stringify(structured), images };
}

/**
 * A browser.screenshot-like output (`{ mimeType: "image/png", data: <base64>, ... }`) without
 * its base64, the image added to `images`: the agent gets the picture once, as an image, and
 * the rest of the output (URL, title, size) as JSON. Any other output is returned as is.
 * The bytes must be an image (their signature), and the image content takes the type the
 * bytes have: an MCP host hands image content to its model's API, which refuses the whole
 * request for an image that does not decode or does not match its media type, so a node's
 * fake or mislabelled image would otherwise break the agent's conversation.
 */
function takeImage(output: unknown, images: Images): unknown {
  if (!isPlainObject(output)) return output;
  const { mimeType, data } = output;
  if (typeof mimeType !== 'string' || !IMAGE_TYPES.has(mimeType) || typeof data !== 'string' || data.length === 0 || data.length % 4 !== 0 || !BASE64.test(data)) return output;
  const sniffed = sniffImageType(Buffer.from(data.slice(0, 16), 'base64'));
  if (sniffed === undefined) return output;
  images.push({ data, mimeType: sniffed });
  const { data: _left, ...rest } = output;
  return rest;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
