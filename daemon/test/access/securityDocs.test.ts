import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadPalyraProto } from '@palyra/proto';
import { ADMIN_RPC_PERMISSIONS, PERMISSIONS, ROLE_PERMISSIONS, ROLES } from '../../src/access/permissions.js';

const SECURITY = new URL('../../../docs/security.md', import.meta.url);

/** The rows of the markdown table whose header starts with `header`, as cells without backticks. */
function table(text: string, header: string): string[][] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith(header));
  expect(start, `docs/security.md has a table starting "${header}"`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim().replaceAll('`', '')));
  }
  return rows;
}

describe('docs/security.md and the permission table', () => {
  it('lists every AdminService RPC with the permission it needs', async () => {
    const rows = table(await readFile(SECURITY, 'utf8'), '| RPC | permission |');
    const documented = Object.fromEntries(rows.map(([rpc, permission]) => [rpc, permission === '(any caller)' ? null : permission]));
    expect(documented).toEqual(ADMIN_RPC_PERMISSIONS);
  });

  it('lists every permission with the roles that grant it', async () => {
    const rows = table(await readFile(SECURITY, 'utf8'), '| permission | `owner`');
    expect(rows.map(([permission]) => permission)).toEqual([...PERMISSIONS]);
    for (const [permission = '', ...cells] of rows) {
      const granted = ROLES.filter((_, i) => cells[i] === 'yes');
      expect(granted, permission).toEqual(ROLES.filter((role) => ROLE_PERMISSIONS[role].has(permission as never)));
    }
  });
});

describe('the permission table', () => {
  it('names a permission (or none) for every AdminService RPC, and no RPC that does not exist', () => {
    expect(Object.keys(ADMIN_RPC_PERMISSIONS).sort()).toEqual(Object.keys(loadPalyraProto().AdminService.service).sort());
    for (const permission of Object.values(ADMIN_RPC_PERMISSIONS)) if (permission !== null) expect(PERMISSIONS).toContain(permission);
  });

  it('gives owner every permission, each role a subset of the one above it, and tokens and CA rotation to owner alone', () => {
    expect([...ROLE_PERMISSIONS.owner].sort()).toEqual([...PERMISSIONS].sort());
    for (let i = 1; i < ROLES.length; i += 1) {
      const [above, role] = [ROLES[i - 1]!, ROLES[i]!];
      for (const permission of ROLE_PERMISSIONS[role]) expect(ROLE_PERMISSIONS[above].has(permission), `${above} has ${permission} as ${role} does`).toBe(true);
    }
    for (const role of ROLES.filter((r) => r !== 'owner')) {
      for (const permission of ['tokens.create', 'tokens.read', 'tokens.revoke', 'ca.rotate'] as const) expect(ROLE_PERMISSIONS[role].has(permission)).toBe(false);
    }
  });
});
