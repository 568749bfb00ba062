import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { splitPath } from './childPath.js';

/**
 * Where `name` resolves on `searchPath`, as the first executable regular file, or null.
 * Empty and relative PATH entries are skipped: a command never resolves against the
 * working directory.
 */
export async function findOnPath(name: string, searchPath: string | undefined): Promise<string | null> {
  for (const dir of splitPath(searchPath).kept) {
    const candidate = join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return null;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
