import { PalyraError } from '@palyra/shared/errors';
import { defineCapability, type CapabilityContext } from '@palyra/shared/plugins';
import { compileSchema } from '@palyra/shared/schema';
import { abortError } from './abortError.js';
import { buildChildEnv } from './buildEnv.js';
import { resolveGrants, type ShellGrants } from './grants.js';
import { resolveCwd } from './resolveCwd.js';
import { resolveInvocation } from './resolveInvocation.js';
import { runProcess, type StreamName } from './runProcess.js';
import { SHELL_EXEC_INPUT_SCHEMA, SHELL_EXEC_OUTPUT_SCHEMA, type ShellExecInput, type ShellExecOutput } from './schemas.js';

/** Bytes of each stream's end kept in the details of a cancelled or timed-out dispatch's error. */
const ERROR_TAIL_BYTES = 4096;

const validateInput = compileSchema(SHELL_EXEC_INPUT_SCHEMA, 'the shell.exec input schema');

/**
 * `shell.exec`: runs one allowed program and returns its exit status and output.
 *
 * Every check happens before anything is spawned, in this order: input, grants, timeout,
 * command (allowlist / allowShell), env names, cwd. Then:
 * - exit (any status): a result; a non-zero exit is not an error;
 * - the input's `timeoutMs` runs out: the process tree is killed and the result has
 *   `timedOut: true` with the output so far;
 * - `ctx.signal` aborts (cancel, dispatch deadline, agent stopping): the process tree is
 *   killed and the abort is rethrown as PALYRA_E_CANCELLED / PALYRA_E_TIMEOUT, with the
 *   output so far in `details` (it was also streamed).
 */
export const shellExec = defineCapability<ShellExecInput, ShellExecOutput, ShellGrants>({
  id: 'shell.exec',
  kind: 'exec',
  description:
    'Runs an allowlisted program with arguments (no shell unless granted), confined to granted working directories, ' +
    'with a from-scratch environment, a timeout and an output cap; streams stdout and stderr.',
  inputSchema: SHELL_EXEC_INPUT_SCHEMA,
  outputSchema: SHELL_EXEC_OUTPUT_SCHEMA,

  async execute(input, ctx) {
    const problems = validateInput(input);
    if (problems.length > 0) {
      throw new PalyraError('PALYRA_E_INPUT_INVALID', `shell.exec input: ${problems.join('; ')}`);
    }
    const grants = resolveGrants(ctx.grants);
    if (input.timeoutMs !== undefined && input.timeoutMs > grants.timeoutMs) {
      throw new PalyraError(
        'PALYRA_E_LIMIT_EXCEEDED',
        `timeoutMs ${input.timeoutMs} is over the ${grants.timeoutMs} ms this node allows (grants.timeoutMs)`,
        { details: { timeoutMs: input.timeoutMs, max: grants.timeoutMs } },
      );
    }
    const invocation = await resolveInvocation(input, grants, process.env.PATH);
    const env = buildChildEnv(input.env, grants.env, process.env);
    const workdir = await resolveCwd(input.cwd, grants.roots);
    try {
      // Nothing is spawned once the dispatch is cancelled or past its deadline.
      if (ctx.signal.aborted) throw abortError(ctx.signal, ctx.deadline, invocation.label, { command: invocation.label });
      ctx.logger.debug('shell.exec starting', { command: invocation.file, cwd: workdir.path });
      const outcome = await runProcess({
        file: invocation.file,
        args: invocation.args,
        cwd: workdir.path,
        env,
        stdin: input.stdin,
        timeoutMs: input.timeoutMs ?? grants.timeoutMs,
        maxOutputBytes: grants.maxOutputBytes,
        signal: ctx.signal,
        onChunk: streamTo(ctx),
        label: invocation.label,
      });
      const truncated = outcome.stdout.truncated || outcome.stderr.truncated;
      ctx.logger.debug('shell.exec finished', {
        command: invocation.file,
        pid: outcome.pid,
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        timedOut: outcome.timedOut,
        aborted: outcome.aborted,
        durationMs: outcome.durationMs,
      });
      if (outcome.aborted) {
        throw abortError(ctx.signal, ctx.deadline, invocation.label, {
          command: invocation.label,
          pid: outcome.pid,
          exitCode: outcome.exitCode,
          signal: outcome.signal,
          durationMs: outcome.durationMs,
          stdoutTail: outcome.stdout.tail(ERROR_TAIL_BYTES),
          stderrTail: outcome.stderr.tail(ERROR_TAIL_BYTES),
          truncated,
        });
      }
      return {
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        stdout: outcome.stdout.text(),
        stderr: outcome.stderr.text(),
        truncated,
        timedOut: outcome.timedOut,
        durationMs: outcome.durationMs,
      };
    } finally {
      await workdir.release();
    }
  },
});

/**
 * Raw stdout and stderr chunks go to `ctx.write` as they arrive, interleaved, without
 * prefixes (the result keeps them apart). A failing `write` does not stop the command.
 */
function streamTo(ctx: CapabilityContext<ShellGrants>): (chunk: Uint8Array, stream: StreamName) => void {
  let warned = false;
  return (chunk) => {
    try {
      ctx.write(chunk);
    } catch (error) {
      if (!warned) {
        warned = true;
        ctx.logger.warn('shell.exec could not stream output; it is still collected for the result', {
          error: (error as Error).message,
        });
      }
    }
  };
}
