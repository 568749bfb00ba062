import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPalyraProto } from '../src/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('proto', () => {
  it('generated types match the .proto files', () => {
    // Throws (non-zero exit) when the committed types drift from the .proto files.
    const out = execFileSync(process.execPath, ['scripts/proto-gen.mjs', '--check'], { cwd: root, encoding: 'utf8' });
    expect(out).toContain('proto types match');
  });

  it('loads every service', () => {
    const v1 = loadPalyraProto();
    expect(Object.keys(v1.PairingService.service)).toEqual(['GetPairingInfo', 'Pair']);
    expect(Object.keys(v1.NodeService.service)).toEqual(['RegisterNode', 'Session', 'Health', 'RenewCertificate']);
    expect(Object.keys(v1.AdminService.service)).toContain('ListNodes');
  });
});
