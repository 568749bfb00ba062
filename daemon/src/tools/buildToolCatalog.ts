import { createHash } from 'node:crypto';
import type { NodeInfo__Output } from '@palyra/proto';
import { MAX_SELECTOR_LENGTH } from '@palyra/shared/selectors';
import { MAX_REFERENCE_LENGTH } from '../admin/nodeReference.js';
import { canonicalJson } from './canonicalJson.js';
import { cleanText, clip } from './toolText.js';
import { toolName } from './toolName.js';
import type { CapabilityKind, ToolAnnotations, ToolCatalog, ToolDefinition } from './types.js';

/** Bounds on what nodes announce, applied before anything is listed (node text is attacker-controlled). */
export const CATALOG_LIMITS = {
  /** Tools in one listing: the first ones by name are kept. */
  maxTools: 512,
  /** Capabilities read per node (the daemon bounds them at registration too). */
  maxCapabilitiesPerNode: 256,
  /** An input schema's JSON text, in characters: a larger one makes its announcement ignored. */
  maxSchemaChars: 64 * 1024,
  /**
   * The input schemas' JSON text one node's announcements may add up to; past it the node's
   * further capabilities are ignored. The daemon accepts 1,024 capabilities of 64 KiB schemas
   * per node: without this one node could make the listing larger than any agent's context.
   */
  maxSchemaCharsPerNode: 256 * 1024,
  /** A whole listing (names, descriptions, schemas, annotations as JSON): tools past it, by name, are left out. */
  maxListingChars: 2 * 1024 * 1024,
  /** A tool's whole description. */
  maxDescription: 1024,
  /** A plugin name as shown; and how many plugin names a description lists. */
  maxPluginName: 64,
  maxPluginsShown: 4,
} as const;


const KINDS: ReadonlySet<string> = new Set<CapabilityKind>(['read', 'mutate', 'exec', 'net']);
/** When nodes disagree on a capability's kind the riskiest one describes the tool (unknown: assume the worst). */
const KIND_RISK: Record<CapabilityKind | 'unknown', number> = { read: 0, net: 1, mutate: 2, exec: 3, unknown: 4 };
/** JSON Schema keywords that make an object schema more than a plain list of properties: nested under `input`. */
// `maxProperties` and `propertyNames` too: merged, they would refuse the target keys themselves.
const NOT_PLAIN_KEYWORDS = ['oneOf', 'anyOf', 'allOf', 'not', 'if', 'then', 'else', '$ref', '$dynamicRef', 'dependentSchemas', 'dependencies', 'unevaluatedProperties', 'maxProperties', 'propertyNames'];
/** Keywords whose values are data, not schemas: a `$ref` inside them is not a reference. */
const DATA_KEYWORDS: ReadonlySet<string> = new Set(['const', 'enum', 'default', 'examples']);
/** Keywords whose value maps names to schemas. */
const SCHEMA_MAP_KEYWORDS: ReadonlySet<string> = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
/** Keywords that would point an MCP client somewhere else or are meaningless once the schema is merged. */
const DROPPED_KEYWORDS = ['$schema', '$id', '$anchor', '$dynamicAnchor'];

interface Announcement {
  deviceId: string;
  name: string;
  online: boolean;
  kind: CapabilityKind | 'unknown';
  description: string;
  plugin: string;
  /** The input schema's canonical JSON. */
  schema: string;
}

/**
 * The tools the given nodes (those the caller may see, online and offline) announce: one per
 * capability id whose name toolName gives, its input the schema most nodes announce plus the
 * target keys, descriptions and plugin names sanitized and bounded. An announcement whose
 * schema is not JSON, too large or too deep is ignored (the node keeps validating its input
 * anyway); a capability left without one is not listed.
 */
export function buildToolCatalog(nodes: readonly NodeInfo__Output[]): ToolCatalog {
  const byCapability = new Map<string, Announcement[]>();
  // Most nodes announce byte-identical schemas: parse each distinct text once.
  const parsed = new Map<string, string | undefined>();
  for (const node of nodes) {
    const online = node.status === 'online';
    let schemaBudget = CATALOG_LIMITS.maxSchemaCharsPerNode;
    for (const capability of node.capabilityDetails.slice(0, CATALOG_LIMITS.maxCapabilitiesPerNode)) {
      if (toolName(capability.id) === undefined) continue;
      if (capability.inputSchemaJson.length > schemaBudget) continue;
      schemaBudget -= capability.inputSchemaJson.length;
      let schema = parsed.get(capability.inputSchemaJson);
      if (!parsed.has(capability.inputSchemaJson)) {
        schema = parseSchema(capability.inputSchemaJson);
        parsed.set(capability.inputSchemaJson, schema);
      }
      if (schema === undefined) continue;
      const list = byCapability.get(capability.id) ?? [];
      if (list.length === 0) byCapability.set(capability.id, list);
      list.push({
        deviceId: node.deviceId,
        name: node.name,
        online,
        kind: KINDS.has(capability.kind) ? (capability.kind as CapabilityKind) : 'unknown',
        description: capability.description,
        plugin: capability.plugin,
        schema,
      });
    }
  }
  const defined = [...byCapability].map(([capability, announcements]) => defineTool(capability, announcements));
  // Two long ids sharing a hashed name (40 bits: a node can search for one): neither is listed,
  // so a call by that name never runs a capability other than the one the agent read about.
  const perName = countBy(defined, (t) => t.name);
  const tools = defined.filter((t) => perName.get(t.name) === 1);
  tools.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const kept: ToolDefinition[] = [];
  let listingChars = 2;
  for (const tool of tools) {
    if (kept.length >= CATALOG_LIMITS.maxTools) break;
    const size = (canonicalJson(listedForm(tool)) ?? '').length + 1;
    if (listingChars + size > CATALOG_LIMITS.maxListingChars) continue;
    listingChars += size;
    kept.push(tool);
  }
  return { tools: kept, byName: new Map(kept.map((t) => [t.name, t])), digest: catalogDigest(kept) };
}

/** The canonical JSON of a schema text, or undefined when it is not a usable JSON object. */
function parseSchema(text: string): string | undefined {
  if (text.length > CATALOG_LIMITS.maxSchemaChars) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text === '' ? '{}' : text) as unknown;
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  return canonicalJson(value);
}

function defineTool(capability: string, announcements: Announcement[]): ToolDefinition {
  const name = toolName(capability) as string;
  const schemaCounts = countBy(announcements, (a) => a.schema);
  const schema = pickMostCommon(schemaCounts);
  const withSchema = announcements.filter((a) => a.schema === schema);
  const description = pickMostCommon(countBy(withSchema, (a) => a.description));
  const kind = announcements.reduce<CapabilityKind | 'unknown'>((worst, a) => (KIND_RISK[a.kind] > KIND_RISK[worst] ? a.kind : worst), 'read');
  const kinds = new Set(announcements.map((a) => a.kind));
  const plugins = [...new Set(announcements.map((a) => cleanText(a.plugin, CATALOG_LIMITS.maxPluginName)).filter((p) => p !== ''))].sort();
  const { inputSchema, targetKeys, nestedInput } = toolInputSchema(JSON.parse(schema) as Record<string, unknown>);
  const nodes = announcements
    .map((a) => ({ deviceId: a.deviceId, name: a.name, online: a.online }))
    .sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name) || (a.deviceId < b.deviceId ? -1 : 1));
  return {
    name,
    capability,
    kind,
    description: toolDescription({ capability, kind, description, plugins, schemasDiffer: schemaCounts.size > 1, targetKeys }),
    inputSchema,
    targetKeys,
    nestedInput,
    plugins,
    nodes,
    annotations: annotationsOf(capability, kinds),
  };
}

/** The capability's input with the target keys: merged into a plain object schema, else beside it under `input`. */
export function toolInputSchema(schema: Record<string, unknown>): Pick<ToolDefinition, 'inputSchema' | 'targetKeys' | 'nestedInput'> {
  const properties = isRecord(schema.properties) ? schema.properties : undefined;
  const required = Array.isArray(schema.required) && schema.required.every((k) => typeof k === 'string') ? (schema.required as string[]) : undefined;
  // The MCP SDK's Tool type (what clients parse tools/list with) wants every top-level property
  // schema an object and `required` a list of names: a boolean subschema (`"flag": true`, valid
  // JSON Schema) left at the top would make a client refuse the whole listing, every tool lost.
  const plain =
    schema.type === 'object' &&
    (schema.properties === undefined || (properties !== undefined && Object.values(properties).every(isRecord))) &&
    (schema.required === undefined || required !== undefined) &&
    NOT_PLAIN_KEYWORDS.every((k) => !(k in schema));
  // A key the capability's input uses, as a property or only as a required name.
  const taken = (key: string): boolean => (properties !== undefined && Object.hasOwn(properties, key)) || (required?.includes(key) ?? false);
  const renamed = taken('node') || taken('selector');
  if (plain && !(renamed && (taken('palyra_node') || taken('palyra_selector')))) {
    const targetKeys = renamed ? { node: 'palyra_node', selector: 'palyra_selector' } : { node: 'node', selector: 'selector' };
    const kept = Object.fromEntries(Object.entries(schema).filter(([key]) => !DROPPED_KEYWORDS.includes(key)));
    return {
      inputSchema: { ...kept, type: 'object', properties: { ...properties, ...targetProperties(targetKeys) } },
      targetKeys,
      nestedInput: false,
    };
  }
  const targetKeys = { node: 'node', selector: 'selector' };
  // Moved under `properties.input`, its JSON pointers (`#`, `#/$defs/x`) must follow it.
  const inner = rebaseReferences(Object.fromEntries(Object.entries(schema).filter(([key]) => !DROPPED_KEYWORDS.includes(key))), '#/properties/input') as Record<string, unknown>;
  return {
    inputSchema: { type: 'object', properties: { input: inner, ...targetProperties(targetKeys) }, additionalProperties: false },
    targetKeys,
    nestedInput: true,
  };
}

/**
 * `schema` with every local JSON-pointer reference (`$ref`/`$dynamicRef` of `#` or `#/...`)
 * rebased under `base`. Anchors (`#name`) and other documents are left as they are. Bounded:
 * the schema went through canonicalJson (depth at most MAX_JSON_DEPTH).
 */
function rebaseReferences(schema: unknown, base: string): unknown {
  if (Array.isArray(schema)) return schema.map((item) => rebaseReferences(item, base));
  if (!isRecord(schema)) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => {
      if ((key === '$ref' || key === '$dynamicRef') && typeof value === 'string' && (value === '#' || value.startsWith('#/'))) return [key, `${base}${value.slice(1)}`];
      if (DATA_KEYWORDS.has(key)) return [key, value];
      // A map of names to schemas: its keys are names (a property may be called `const` or `$ref`).
      if (SCHEMA_MAP_KEYWORDS.has(key) && isRecord(value)) return [key, Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, rebaseReferences(sub, base)]))];
      return [key, rebaseReferences(value, base)];
    }),
  );
}

function targetProperties(keys: { node: string; selector: string }): Record<string, unknown> {
  return {
    [keys.node]: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_REFERENCE_LENGTH,
      description: `The node to run on: its device id, a unique prefix of it (4+ characters) or its name. Give exactly one of ${keys.node} and ${keys.selector}.`,
    },
    [keys.selector]: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_SELECTOR_LENGTH,
      description: `Run on every node this selector matches, at once (labels, name, deviceId, platform, status: "env=staging,role in (web,api)"); one result per node. Give exactly one of ${keys.node} and ${keys.selector}.`,
    },
  };
}

function toolDescription(parts: {
  capability: string;
  kind: CapabilityKind | 'unknown';
  description: string;
  plugins: string[];
  schemasDiffer: boolean;
  targetKeys: { node: string; selector: string };
}): string {
  const shown = parts.plugins.slice(0, CATALOG_LIMITS.maxPluginsShown);
  const more = parts.plugins.length > shown.length ? ` and ${parts.plugins.length - shown.length} more` : '';
  const plugin = shown.length === 0 ? '' : `; plugin ${shown.join(', ')}${more}`;
  const differ = parts.schemasDiffer ? ' Some nodes announce a different input schema for it; each node checks the input against its own.' : '';
  const suffix = ` (capability ${parts.capability}, kind ${parts.kind}${plugin}.)${differ} Target one node with ${parts.targetKeys.node} or many with ${parts.targetKeys.selector}.`;
  // The node's own words are what gets cut when the whole does not fit.
  const room = Math.max(0, CATALOG_LIMITS.maxDescription - suffix.length);
  const own = cleanText(parts.description, room);
  return clip(`${own}${suffix}`.trim(), CATALOG_LIMITS.maxDescription);
}

/**
 * The hints of every kind the nodes announce, not of the riskiest alone: a capability that is
 * `net` on one node and `mutate` on another may do both (destructive AND open-world); read-only
 * only when every node says `read`.
 */
function annotationsOf(capability: string, kinds: ReadonlySet<CapabilityKind | 'unknown'>): ToolAnnotations {
  const any = (...wanted: (CapabilityKind | 'unknown')[]): boolean => wanted.some((k) => kinds.has(k));
  return {
    title: capability,
    readOnlyHint: kinds.size > 0 && [...kinds].every((k) => k === 'read'),
    destructiveHint: any('mutate', 'exec', 'unknown'),
    openWorldHint: any('net', 'unknown'),
  };
}

/** What a listing shows of a tool. */
function listedForm(t: ToolDefinition): Record<string, unknown> {
  return { name: t.name, description: t.description, inputSchema: t.inputSchema, annotations: t.annotations };
}

/** Changes exactly when what a listing shows (names, descriptions, schemas, annotations) changes. */
function catalogDigest(tools: readonly ToolDefinition[]): string {
  const listed = tools.map(listedForm);
  return createHash('sha256').update(canonicalJson(listed) ?? '').digest('hex');
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** The most frequent value; ties: the shortest, then the smallest in code-unit order (stable whatever the node order). */
function pickMostCommon(counts: ReadonlyMap<string, number>): string {
  let best: [string, number] | undefined;
  for (const entry of counts) {
    if (best === undefined || entry[1] > best[1] || (entry[1] === best[1] && (entry[0].length < best[0].length || (entry[0].length === best[0].length && entry[0] < best[0])))) best = entry;
  }
  return best?.[0] ?? '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
