/** The packages users install; every other @palyra/* workspace is bundled into them. */
export const PUBLISHED: readonly string[];
export const CHECKSUM_FILE: string;

/** What stops a release (versions out of step, a failed build or pack). */
export class ReleaseError extends Error {}

export interface WorkspaceManifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** Throws ReleaseError listing every workspace or internal dependency not at the root's version; returns that version. */
export function checkVersionsInStep(
  rootManifest: { version: string },
  workspaces: ReadonlyMap<string, { name: string; dir: string; manifest: WorkspaceManifest }>,
): string;

export interface ReleasedPackage {
  name: string;
  version: string;
  file: string;
  size: number;
  unpackedSize: number;
  bundled: string[];
  sha256: string;
}

/** Builds (unless `build: false`), packs the published packages into `out` and writes SHA256SUMS there. */
export function release(options?: { out?: string; build?: boolean; log?: (line: string) => void }): { version: string; out: string; packages: ReleasedPackage[] };
