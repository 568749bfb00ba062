import type { Stats } from 'node:fs';

export type EntryType = 'file' | 'directory' | 'symlink' | 'other';

/** The type of what lstat saw: a symlink is reported as such, never followed. */
export function entryType(stats: Stats): EntryType {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  return 'other';
}

/** Permission and special bits as four octal digits: '0644', '4755'. */
export function octalMode(stats: Stats): string {
  return (stats.mode & 0o7777).toString(8).padStart(4, '0');
}

export function modifiedAt(stats: Stats): string {
  return stats.mtime.toISOString();
}
