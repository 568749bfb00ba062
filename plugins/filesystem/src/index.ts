import { definePlugin } from '@palyra/shared/plugins';
import { listCapability } from './capabilities/list.js';
import { readCapability } from './capabilities/read.js';
import { removeCapability } from './capabilities/remove.js';
import { statCapability } from './capabilities/stat.js';
import { writeCapability } from './capabilities/write.js';
import { GRANTS_SCHEMA, effectiveGrants, type FsGrants } from './grants.js';
import { requireProcFd } from './procFd.js';
import { realRoots } from './realRoots.js';

/**
 * The built-in filesystem plugin: fs.read, fs.write, fs.list, fs.stat, fs.remove, confined to
 * the roots granted in the node's config (`{ use: 'filesystem', grants: { roots: [...] } }`).
 */
const filesystemPlugin = definePlugin<FsGrants>({
  name: 'filesystem',
  version: '0.1.0',
  apiVersion: 1,
  description: 'Reads, writes, lists, stats and removes files inside granted root directories.',
  grantsSchema: GRANTS_SCHEMA,
  capabilities: [readCapability, writeCapability, listCapability, statCapability, removeCapability],
  async setup(ctx) {
    const grants = effectiveGrants(ctx.grants);
    // Refuse to load where paths cannot be confined race-free (no /proc/self/fd).
    await requireProcFd();
    if (grants.roots.length === 0) ctx.logger.warn('filesystem plugin has no granted roots: every path will be refused');
    const existing = await realRoots(grants.roots);
    if (existing.length < grants.roots.length) {
      ctx.logger.warn('some granted filesystem roots do not exist', { roots: [...grants.roots], existing });
    }
  },
});

export default filesystemPlugin;

export type { FsGrants } from './grants.js';
export { GRANTS_SCHEMA, DEFAULT_MAX_READ_BYTES, DEFAULT_MAX_WRITE_BYTES } from './grants.js';
export type { ContentEncoding } from './encoding.js';
export type { EntryType } from './stats.js';
export type { ListEntry } from './listDirectory.js';
export type { WriteMode } from './writeContent.js';
export { readCapability, type ReadInput, type ReadOutput } from './capabilities/read.js';
export { writeCapability, type WriteInput, type WriteOutput } from './capabilities/write.js';
export { listCapability, type ListInput, type ListOutput } from './capabilities/list.js';
export { statCapability, type StatInput, type StatOutput } from './capabilities/stat.js';
export { removeCapability, type RemoveInput, type RemoveOutput } from './capabilities/remove.js';
