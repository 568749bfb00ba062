import { PalyraError } from '@palyra/shared/errors';
import { defineCapability, type CapabilityDefinition, type JsonSchema } from '@palyra/shared/plugins';
import { compileSchema } from '@palyra/shared/schema';
import type { BrowserRuntime } from '../browser/BrowserRuntime.js';
import type { BrowserGrants, ResolvedGrants } from '../grants.js';
import { abortError } from '../session/abort.js';
import type { PageSession } from '../session/PageSession.js';
import { withPage, type PageInput } from '../session/withPage.js';

export interface BrowserCapabilitySpec<Input extends PageInput, Output> {
  readonly id: string;
  readonly description: string;
  readonly inputSchema: JsonSchema;
  readonly outputSchema: JsonSchema;
  /** Works on the page, already at `input.url`. */
  run(session: PageSession, input: Input, grants: ResolvedGrants): Promise<Output>;
}

/**
 * A browser capability (kind `net`): checks its input itself (the host does too), then runs
 * `spec.run` on a fresh page through `withPage` (policy, slots, profile, budget, cleanup).
 */
export function defineBrowserCapability<Input extends PageInput, Output>(
  runtime: BrowserRuntime,
  spec: BrowserCapabilitySpec<Input, Output>,
): CapabilityDefinition<Input, Output, BrowserGrants> {
  const validate = compileSchema(spec.inputSchema, `the ${spec.id} input schema`);
  return defineCapability<Input, Output, BrowserGrants>({
    id: spec.id,
    kind: 'net',
    description: spec.description,
    inputSchema: spec.inputSchema,
    outputSchema: spec.outputSchema,
    async execute(input, ctx) {
      const problems = validate(input);
      if (problems.length > 0) throw new PalyraError('PALYRA_E_INPUT_INVALID', `${spec.id} input: ${problems.join('; ')}`);
      if (ctx.signal.aborted) throw abortError(ctx.signal, ctx.deadline, spec.id);
      const started = Date.now();
      ctx.logger.debug(`${spec.id} starting`, { url: input.url.slice(0, 500), profile: input.profile });
      const output = await withPage(runtime, spec.id, input, ctx, (session, grants) => spec.run(session, input, grants));
      ctx.logger.debug(`${spec.id} finished`, { ms: Date.now() - started });
      return output;
    },
  });
}
