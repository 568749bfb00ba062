import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { procPath } from './procFd.js';

/** Opens a directory, never through a symlink in the last component. */
export const DIRECTORY_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * An open directory inside a granted root, reached component by component from the root's
 * descriptor without following a symlink. Everything done below it goes through `at(name)`,
 * so a rename or symlink swap of any of its ancestors cannot redirect it.
 */
export class Directory {
  private constructor(
    private readonly handle: FileHandle,
    /** Its components below the root, as walked ([] for the root). */
    readonly components: readonly string[],
  ) {}

  /** The path of `name` inside this directory (openat semantics), or of the directory itself. */
  at(name?: string): string {
    return procPath(this.handle.fd, name);
  }

  /** Its path below the root, `/`-separated ('' for the root). */
  get relative(): string {
    return this.components.join('/');
  }

  get isRoot(): boolean {
    return this.components.length === 0;
  }

  stat() {
    return this.handle.stat();
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  /** Opens a granted root by its configured path (the operator's, so symlinks there are followed). */
  static async openRoot(path: string): Promise<Directory> {
    return new Directory(await open(path, constants.O_RDONLY | constants.O_DIRECTORY), []);
  }

  /**
   * Opens the directory `name` inside this one. Rejects with ENOTDIR when `name` is a symlink
   * or not a directory, ENOENT when it does not exist.
   */
  async openChild(name: string): Promise<Directory> {
    return new Directory(await open(this.at(name), DIRECTORY_FLAGS), [...this.components, name]);
  }

  /**
   * Opens `names` below this directory one at a time (openChild: never through a symlink),
   * closing each intermediate one; this directory itself when `names` is empty. Rejects as
   * openChild does, with nothing left open.
   */
  async openDescendant(names: readonly string[]): Promise<Directory> {
    // undefined: still at this directory, which stays open.
    let below: Directory | undefined;
    try {
      for (const name of names) {
        const child = await (below ?? this).openChild(name);
        await below?.close();
        below = child;
      }
      return below ?? this;
    } catch (error) {
      await below?.close().catch(() => undefined);
      throw error;
    }
  }
}

/** The directories one operation opened; `closeAll()` in a finally closes every one. */
export class DirectorySet {
  private readonly open: Directory[] = [];

  add(directory: Directory): Directory {
    this.open.push(directory);
    return directory;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map((directory) => directory.close().catch(() => undefined)));
  }
}
