import type { CaStatus__Output } from '@palyra/proto';

/** The CA status as `ca status --json` prints it (and `ca rotate --json`, `ca finish --json` embed it). */
export function caStatusDocument(status: CaStatus__Output): Record<string, unknown> {
  return {
    rotating: status.rotating,
    serverCa: status.serverCaFingerprint,
    nodes: status.nodesTotal,
    cas: status.cas.map((ca) => ({
      fingerprint: ca.fingerprint,
      role: ca.role,
      notAfter: ca.notAfter,
      createdAt: ca.createdAt,
      nodesTrusting: ca.nodesTrusting,
      nodesHolding: ca.nodesHolding,
      server: ca.fingerprint === status.serverCaFingerprint,
    })),
  };
}

export function caLines(status: CaStatus__Output): string[] {
  const lines = status.cas
    .filter((ca) => ca.role !== 'retired')
    .map(
      (ca) =>
        `  ${ca.role.padEnd(8)} ${ca.fingerprint}  expires ${ca.notAfter}  trusted by ${ca.nodesTrusting}/${status.nodesTotal} nodes, ` +
        `certificates of ${ca.nodesHolding}${ca.fingerprint === status.serverCaFingerprint ? '  (server certificate)' : ''}`,
    );
  const retired = status.cas.filter((ca) => ca.role === 'retired').length;
  if (retired > 0) lines.push(`  ${retired} retired CA${retired === 1 ? '' : 's'} (no longer trusted)`);
  return lines;
}
