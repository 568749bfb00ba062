import { readFileSync } from 'node:fs';

/** File descriptors kept free for everything but node connections: the store, the admin socket and its clients, QUIC, logs. */
export const RESERVED_FILE_DESCRIPTORS = 256;

/** The soft limit on open files of this process (Node raises it to the hard limit at start-up), or undefined where /proc is not there. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft === undefined || !/^\d+$/.test(soft) ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

/**
 * The connection cap that fits the process's open-file limit with RESERVED_FILE_DESCRIPTORS
 * to spare: peers filling the cap must never leave the daemon unable to open its own files.
 */
export function fitConnectionCap(requested: number, limit = openFileLimit()): { cap: number; limit?: number } {
  if (limit === undefined) return { cap: requested };
  return { cap: Math.max(1, Math.min(requested, limit - RESERVED_FILE_DESCRIPTORS)), limit };
}
