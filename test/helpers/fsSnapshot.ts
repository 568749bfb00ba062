import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Every entry under `dir`, by relative name: owner, mode, size, mtime, and a hash of the
 * content (or the target of a link). Two equal snapshots mean nothing was created, removed,
 * written or re-linked. `rootMtime: false` leaves out the mtime of `dir` itself, which a
 * lock file created and removed again changes.
 */
export async function snapshotTree(dir: string, { rootMtime = true }: { rootMtime?: boolean } = {}): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (path: string, name: string): Promise<void> => {
    const info = await lstat(path);
    let content = '';
    if (info.isFile()) content = createHash('sha256').update(await readFile(path)).digest('hex');
    else if (info.isSymbolicLink()) content = `-> ${await readlink(path)}`;
    const mtime = name === '.' && !rootMtime ? '-' : String(info.mtimeMs);
    out[name] = `uid ${info.uid} mode ${(info.mode & 0o7777).toString(8)} size ${info.size} mtime ${mtime} ${content}`;
    if (info.isDirectory()) {
      for (const entry of (await readdir(path)).sort()) await visit(join(path, entry), name === '.' ? entry : `${name}/${entry}`);
    }
  };
  await visit(dir, '.');
  return out;
}
