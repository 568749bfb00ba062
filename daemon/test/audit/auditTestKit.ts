import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, type AuditLogOptions } from '../../src/audit/AuditLog.js';
import type { AuditEntry, AuditRecord } from '../../src/audit/types.js';

/** A state dir of its own, a key, and helpers to read and edit the files as an attacker would. */
export class AuditKit {
  readonly key = randomBytes(32);
  private constructor(readonly stateDir: string) {}

  static async create(): Promise<AuditKit> {
    return new AuditKit(await mkdtemp(join(tmpdir(), 'palyra-audit-')));
  }

  get dir(): string {
    return join(this.stateDir, 'audit');
  }

  open(options: Partial<AuditLogOptions> = {}): Promise<AuditLog> {
    return AuditLog.open({ stateDir: this.stateDir, key: this.key, ...options });
  }

  async lines(name = 'audit.log'): Promise<string[]> {
    const text = await readFile(join(this.dir, name), 'utf8');
    return text.split('\n').filter((line) => line !== '');
  }

  async entries(name = 'audit.log'): Promise<AuditEntry[]> {
    return (await this.lines(name)).map((line) => JSON.parse(line) as AuditEntry);
  }

  /** Rewrites a file from lines (each gets its newline back). */
  async writeLines(lines: string[], name = 'audit.log'): Promise<void> {
    await writeFile(join(this.dir, name), lines.map((line) => `${line}\n`).join(''));
  }

  async remove(): Promise<void> {
    await rm(this.stateDir, { recursive: true, force: true });
  }
}

export function record(n: number, extra: Partial<AuditRecord> = {}): AuditRecord {
  return { action: 'dispatch', actor: { kind: 'local', uid: 1000 }, outcome: 'succeeded', node: `node-${n}`, capability: 'fs.read', details: { n }, ...extra };
}

export async function appendMany(log: AuditLog, count: number, from = 1): Promise<void> {
  for (let i = 0; i < count; i += 1) await log.append(record(from + i));
}
