import { isAbsolute, normalize } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import type { JsonSchema } from '@palyra/shared/plugins';
import { compileSchema } from '@palyra/shared/schema';
import { parseHostRule, type HostRule } from './policy/hostRule.js';
import { parseUrlPattern, type UrlPattern } from './policy/urlPattern.js';
import { UrlPolicy } from './policy/UrlPolicy.js';

/** What the node's config may grant the browser plugin (`{ use: 'browser', grants: {...} }`). */
export interface BrowserGrants {
  /** URL patterns pages may load (documents, subresources, redirects, WebSockets). Absent or empty: nothing. */
  allowUrls?: string[];
  /** URL patterns refused even when allowUrls matches. */
  denyUrls?: string[];
  /** Hosts, IPs and CIDR ranges (optionally with a port) never contacted: list the daemon's addresses here. */
  denyHosts?: string[];
  /** Absolute path of the Chromium (or Chrome) binary. Default: CHROME_PATH, then the usual locations. */
  chromiumPath?: string;
  /** Runs Chromium without its sandbox even when the agent is not root (containers without user namespaces). */
  noSandbox?: boolean;
  /** Absolute directory where named profiles keep their cookies. Absent: the `profile` input is refused. */
  profilesDir?: string;
  /** Pages open at once across all dispatches; more wait for a free one. Default 4. */
  maxPages?: number;
  /** Longest time a dispatch may spend on its page, and the default. Default 30 s. */
  timeoutMs?: number;
  /** Largest screenshot or PDF (bytes before base64) and text (UTF-8 bytes) returned. Default 2 MiB. */
  maxOutputBytes?: number;
}

/** Grants with their defaults applied and their patterns parsed. */
export interface ResolvedGrants {
  readonly policy: UrlPolicy;
  readonly chromiumPath: string | undefined;
  readonly noSandbox: boolean;
  readonly profilesDir: string | undefined;
  readonly maxPages: number;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
}

export const DEFAULT_MAX_PAGES = 4;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 2 * 1024 * 1024;
export const MAX_PAGES_LIMIT = 64;
export const MAX_TIMEOUT_MS_LIMIT = 10 * 60 * 1000;
/** The daemon takes at most 4 MiB of output JSON: 3,000,000 bytes are 4,000,000 in base64. */
export const MAX_OUTPUT_BYTES_LIMIT = 3_000_000;

const PATTERN_LIST: JsonSchema = { type: 'array', maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 2048 } };
const NO_NUL = '^[^\\u0000]*$';

export const BROWSER_GRANTS_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    allowUrls: PATTERN_LIST,
    denyUrls: PATTERN_LIST,
    denyHosts: PATTERN_LIST,
    chromiumPath: { type: 'string', minLength: 1, pattern: NO_NUL },
    noSandbox: { type: 'boolean' },
    profilesDir: { type: 'string', minLength: 1, pattern: NO_NUL },
    maxPages: { type: 'integer', minimum: 1, maximum: MAX_PAGES_LIMIT },
    timeoutMs: { type: 'integer', minimum: 1, maximum: MAX_TIMEOUT_MS_LIMIT },
    maxOutputBytes: { type: 'integer', minimum: 0, maximum: MAX_OUTPUT_BYTES_LIMIT },
  },
};

const validateGrants = compileSchema(BROWSER_GRANTS_SCHEMA, 'the browser plugin grants schema');
/** Grants are frozen by the host and the same for every dispatch: parse each object once. */
const cache = new WeakMap<object, ResolvedGrants>();

/**
 * Checks the grants (the host validates them too; this keeps the plugin safe on its own),
 * parses the URL patterns and host rules, and applies the defaults. Every problem is a
 * PALYRA_E_CONFIG_INVALID naming the grant.
 */
export function resolveGrants(grants: unknown): ResolvedGrants {
  const value = grants ?? {};
  if (typeof value === 'object' && value !== null) {
    const cached = cache.get(value);
    if (cached !== undefined) return cached;
  }
  const problems = validateGrants(value);
  if (problems.length > 0) throw invalid(problems.join('; '));
  const g = value as BrowserGrants;
  const resolved: ResolvedGrants = {
    policy: new UrlPolicy(
      parseAll(g.allowUrls, 'allowUrls', parseUrlPattern),
      parseAll(g.denyUrls, 'denyUrls', parseUrlPattern),
      parseAll(g.denyHosts, 'denyHosts', parseHostRule),
    ),
    chromiumPath: absolute(g.chromiumPath, 'chromiumPath'),
    noSandbox: g.noSandbox === true,
    profilesDir: absolute(g.profilesDir, 'profilesDir'),
    maxPages: g.maxPages ?? DEFAULT_MAX_PAGES,
    timeoutMs: g.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxOutputBytes: g.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
  };
  if (typeof value === 'object' && value !== null) cache.set(value, resolved);
  return resolved;
}

function parseAll<T extends UrlPattern | HostRule>(entries: readonly string[] | undefined, grant: string, parse: (entry: string) => T | string): T[] {
  return (entries ?? []).map((entry) => {
    const parsed = parse(entry);
    if (typeof parsed === 'string') throw invalid(`grants.${grant}: ${parsed}`);
    return parsed;
  });
}

function absolute(path: string | undefined, grant: string): string | undefined {
  if (path === undefined) return undefined;
  if (!isAbsolute(path)) throw invalid(`grants.${grant}: "${path}" must be an absolute path`);
  return normalize(path);
}

function invalid(problem: string): PalyraError {
  return new PalyraError('PALYRA_E_CONFIG_INVALID', `browser plugin grants: ${problem} (see docs/plugins/browser.md)`);
}
