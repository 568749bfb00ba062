import type { JsonSchema } from '@palyra/shared/plugins';
import { MAX_TIMEOUT_MS_LIMIT } from './grants.js';

/** Profile names: a file name in profilesDir, so no separators and no leading dot. */
export const PROFILE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
export const MAX_URL_LENGTH = 8192;

export const SELECTOR_SCHEMA: JsonSchema = { type: 'string', minLength: 1, maxLength: 2000 };

/** Input properties every browser capability takes. */
export const PAGE_INPUT_PROPERTIES: Readonly<Record<string, JsonSchema>> = {
  url: { type: 'string', minLength: 1, maxLength: MAX_URL_LENGTH },
  profile: { type: 'string', pattern: PROFILE_NAME_PATTERN },
  timeoutMs: { type: 'integer', minimum: 1, maximum: MAX_TIMEOUT_MS_LIMIT },
  waitUntil: { enum: ['load', 'domcontentloaded', 'networkidle', 'commit'] },
  viewport: {
    type: 'object',
    additionalProperties: false,
    required: ['width', 'height'],
    properties: {
      width: { type: 'integer', minimum: 100, maximum: 4096 },
      height: { type: 'integer', minimum: 100, maximum: 4096 },
    },
  },
};

/** Output properties every browser capability returns (PageSummary). */
export const PAGE_OUTPUT_PROPERTIES: Readonly<Record<string, JsonSchema>> = {
  url: { type: 'string' },
  status: { type: ['integer', 'null'] },
  title: { type: 'string' },
  blocked: {
    type: 'array',
    maxItems: 20,
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['url', 'reason'],
      properties: { url: { type: 'string' }, reason: { type: 'string' } },
    },
  },
};

export const PAGE_OUTPUT_REQUIRED = ['url', 'status', 'title', 'blocked'];

/** An input schema: the common properties plus the capability's own. */
export function inputSchema(own: Readonly<Record<string, JsonSchema>> = {}, required: readonly string[] = []): JsonSchema {
  return { type: 'object', additionalProperties: false, required: ['url', ...required], properties: { ...PAGE_INPUT_PROPERTIES, ...own } };
}

/** An output schema: the page summary plus the capability's own properties. */
export function outputSchema(own: Readonly<Record<string, JsonSchema>> = {}, required: readonly string[] = []): JsonSchema {
  return { type: 'object', additionalProperties: false, required: [...PAGE_OUTPUT_REQUIRED, ...required], properties: { ...PAGE_OUTPUT_PROPERTIES, ...own } };
}
