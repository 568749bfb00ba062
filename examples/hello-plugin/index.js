// An example Palyra capability plugin, in plain ESM JavaScript with JSDoc types: nothing to
// build. Copy this folder, rename the plugin and its capability ids, and list it in the
// node's config (see README.md and docs/plugins.md).
import { setTimeout as sleep } from 'node:timers/promises';
import { PalyraError, definePlugin } from '@palyra/plugin-sdk';

/**
 * What an operator may grant this plugin in the node's config
 * (`{ "use": "...", "grants": { "maxSleepMs": 5000 } }`).
 * @typedef {{ maxSleepMs?: number }} HelloGrants
 */

/** @typedef {import('@palyra/plugin-sdk').CapabilityContext<HelloGrants>} HelloContext */

/** @type {import('@palyra/plugin-sdk').JsonSchema} */
const GRANTS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // No grant, no sleeping: a plugin denies what it was not granted.
    maxSleepMs: { type: 'integer', minimum: 0, maximum: 600000 },
  },
};

/**
 * hello.greet: `{ name }` -> `{ greeting }`. Streams the greeting in two chunks with a
 * progress update in between, the way a long-running capability reports as it goes.
 */
const greet = {
  id: 'hello.greet',
  kind: /** @type {const} */ ('read'),
  description: 'Greets someone by name, streaming the greeting as it is made.',
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
  },
  outputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['greeting'],
    properties: { greeting: { type: 'string' } },
  },
  /**
   * @param {{ name: string }} input already validated against inputSchema by the host
   * @param {HelloContext} ctx
   * @returns {Promise<{ greeting: string }>}
   */
  async execute(input, ctx) {
    const greeting = `Hello, ${input.name}!`;
    ctx.write('Hello, ');
    ctx.progress({ ratio: 0.5, message: 'greeting half done' });
    // A real capability would do work here; throwIfAborted stops early on cancel/deadline.
    ctx.signal.throwIfAborted();
    ctx.write(`${input.name}!\n`);
    ctx.progress({ ratio: 1 });
    ctx.logger.debug('greeted', { name: input.name });
    return { greeting };
  },
};

/**
 * hello.sleep: `{ ms }` -> `{ sleptMs }`. Waits, honouring ctx.signal so a cancel or the
 * dispatch deadline stops it at once: useful to try `palyrad nodes invoke --timeout`.
 */
const sleepCapability = {
  id: 'hello.sleep',
  kind: /** @type {const} */ ('exec'),
  description: 'Sleeps for ms milliseconds (at most the granted maxSleepMs), reporting progress.',
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['ms'],
    properties: { ms: { type: 'integer', minimum: 0, maximum: 600000 } },
  },
  outputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['sleptMs'],
    properties: { sleptMs: { type: 'integer', minimum: 0 } },
  },
  /**
   * @param {{ ms: number }} input
   * @param {HelloContext} ctx
   * @returns {Promise<{ sleptMs: number }>}
   */
  async execute(input, ctx) {
    const max = ctx.grants.maxSleepMs;
    if (max === undefined || input.ms > max) {
      // A PalyraError keeps its code; the host adds the plugin and capability to its details.
      throw new PalyraError(
        'PALYRA_E_CAPABILITY_DENIED',
        max === undefined
          ? 'hello.sleep needs a grant: set grants.maxSleepMs for this plugin in the node config'
          : `hello.sleep may sleep at most ${max} ms (grants.maxSleepMs); ${input.ms} ms asked`,
        { details: { ms: input.ms, maxSleepMs: max ?? null } },
      );
    }
    const started = Date.now();
    const steps = 4;
    for (let step = 1; step <= steps; step += 1) {
      // Rejects with ctx.signal.reason as soon as the dispatch is cancelled or times out.
      await sleep(input.ms / steps, undefined, { signal: ctx.signal });
      ctx.progress({ ratio: step / steps, message: `slept ${Math.round((input.ms * step) / steps)} ms` });
    }
    return { sleptMs: Date.now() - started };
  },
};

export default definePlugin({
  name: 'hello',
  version: '0.1.0',
  apiVersion: 1,
  description: 'Example plugin: greets and sleeps.',
  grantsSchema: GRANTS_SCHEMA,
  capabilities: [greet, sleepCapability],
  /** Runs once when the agent loads the plugin, before any dispatch. */
  setup(ctx) {
    ctx.logger.info('hello plugin ready', { maxSleepMs: ctx.grants.maxSleepMs ?? null });
  },
  /** Runs once when the agent stops. Release what setup acquired. */
  dispose() {},
});
