import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPalyraProto } from '@palyra/proto';
import { ADMIN_RPC_PERMISSIONS, PERMISSIONS, ROLES, ROLE_PERMISSIONS } from '../../src/access/permissions.js';

const security = readFileSync(fileURLToPath(new URL('../../../docs/security.md', import.meta.url)), 'utf8');

/** The rows of the Markdown table under `heading`, each a list of cells without backticks. */
function tableUnder(heading: string): string[][] {
  const start = security.indexOf(`### ${heading}\n`);
  expect(start, `docs/security.md has a "### ${heading}" section`).toBeGreaterThanOrEqual(0);
  const lines = security.slice(start).split('\n').slice(1);
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim().replaceAll('`', '')));
  }
  return rows;
}

describe('the permission table', () => {
  it('names a permission (or none) for every AdminService RPC, and no RPC that does not exist', () => {
    const rpcs = Object.keys(loadPalyraProto().AdminService.service).sort();
    expect(Object.keys(ADMIN_RPC_PERMISSIONS).sort()).toEqual(rpcs);
    for (const permission of Object.values(ADMIN_RPC_PERMISSIONS)) {
      if (permission !== null) expect(PERMISSIONS).toContain(permission);
    }
  });

  it('gives owner every permission, and each role a subset of the one above it', () => {
    expect([...ROLE_PERMISSIONS.owner].sort()).toEqual([...PERMISSIONS].sort());
    for (let i = 1; i < ROLES.length; i += 1) {
      const [above, role] = [ROLES[i - 1]!, ROLES[i]!];
      for (const permission of ROLE_PERMISSIONS[role]) expect(ROLE_PERMISSIONS[above].has(permission), `${above} has ${permission} as ${role} does`).toBe(true);
    }
    // Tokens and CA operations are the owner's alone (issue 16: "owner: everything, including tokens and CA operations").
    for (const role of ROLES.filter((r) => r !== 'owner')) {
      for (const permission of ['tokens.create', 'tokens.read', 'tokens.revoke', 'ca.rotate'] as const) expect(ROLE_PERMISSIONS[role].has(permission)).toBe(false);
    }
  });

  it('docs/security.md lists the permissions of each role exactly as the code grants them', () => {
    const rows = tableUnder('Permissions by role');
    expect(rows.map((row) => row[0])).toEqual([...PERMISSIONS]);
    for (const row of rows) {
      const permission = row[0] as (typeof PERMISSIONS)[number];
      ROLES.forEach((role, i) => expect(row[i + 1], `${role} / ${permission}`).toBe(ROLE_PERMISSIONS[role].has(permission) ? 'yes' : 'no'));
    }
  });

  it('docs/security.md lists the permission of every RPC exactly as the gate checks it', () => {
    const rows = tableUnder('The permission each RPC needs');
    const documented = Object.fromEntries(rows.map(([rpc, permission]) => [rpc, permission?.startsWith('none') === true ? null : permission]));
    expect(documented).toEqual(ADMIN_RPC_PERMISSIONS);
  });
});
