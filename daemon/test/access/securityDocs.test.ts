import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
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
