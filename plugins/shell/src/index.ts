import { PLUGIN_API_VERSION, definePlugin } from '@palyra/shared/plugins';
import { closeGroupJournal, openGroupJournal, reapLeftoverGroups } from './groupJournal.js';
import { SHELL_GRANTS_SCHEMA, resolveGrants, type ShellGrants } from './grants.js';
import { reviewGrants } from './reviewGrants.js';
import { shellExec } from './shellExec.js';

/** The built-in `shell` plugin: `shell.exec`. See docs/plugins/shell.md. */
const shellPlugin = definePlugin<ShellGrants>({
  name: 'shell',
  version: '0.1.0',
  apiVersion: PLUGIN_API_VERSION,
  description: 'Runs allowlisted programs on the node: argv only unless granted a shell, confined cwd, no inherited environment.',
  grantsSchema: SHELL_GRANTS_SCHEMA,
  capabilities: [shellExec],
  async setup(ctx) {
    // Fails the plugin's setup on grants the host's schema check cannot catch (relative paths).
    const grants = resolveGrants(ctx.grants);
    for (const note of await reviewGrants(grants, process.env.PATH)) ctx.logger.warn(note);
    // Kill what a previous agent on this state directory left running (its watchdog killed
    // too), then record this agent's groups for the next one. No data directory, no record.
    if (ctx.dataDir !== undefined && process.platform !== 'win32') {
      const { reaped, problems } = await reapLeftoverGroups(ctx.dataDir);
      for (const { pgid, agentPid } of reaped) {
        ctx.logger.warn('killed a process group left running by a previous agent', { pgid, agentPid });
      }
      for (const problem of problems) ctx.logger.warn(problem.message, { code: problem.code });
      await openGroupJournal(ctx.dataDir);
    }
  },
  dispose() {
    closeGroupJournal(false);
  },
});

export default shellPlugin;
export { shellExec } from './shellExec.js';
export {
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_TIMEOUT_MS,
  SHELL_GRANTS_SCHEMA,
  resolveGrants,
  type ResolvedGrants,
  type ShellGrants,
} from './grants.js';
export { SHELL_EXEC_INPUT_SCHEMA, SHELL_EXEC_OUTPUT_SCHEMA, type ShellExecInput, type ShellExecOutput } from './schemas.js';
export { KILL_GRACE_MS } from './ProcessGroup.js';
