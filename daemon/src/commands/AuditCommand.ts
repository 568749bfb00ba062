import { once } from 'node:events';
import { Command, Option } from 'clipanion';
import { parseDuration } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';
import { displayText, hasUnsafeText } from '@palyra/shared/text';
import { DaemonCommand } from './DaemonCommand.js';

/** Entries asked of the daemon per call while paging. */
const PAGE = 1000;

export class AuditCommand extends DaemonCommand {
  static override paths = [['audit']];
  static override usage = Command.Usage({
    description: "Read the daemon's audit log (oldest first)",
    details: `
      Every decision and action the daemon recorded: who (local:<uid>, token:<id>, node:<id>
      or daemon), what, on which node, how it ended. Filters combine. With --json, prints one
      array of entries as stored ({seq, at, action, actor, outcome, node, capability,
      inputSha256, inputBytes, durationMs, remoteAddress, errorCode, details, prev, hash}).
      Check the chain with \`palyrad audit verify\`.
    `,
    examples: [
      ['What happened in the last hour', 'palyrad audit --since 1h'],
      ['Every pairing decision, as JSON', 'palyrad audit --action pairing. --json'],
      ['What one token did', 'palyrad audit --actor token:01J9Z3B4C5D6E7F8G9H0JKMNPQ'],
    ],
  });

  since = Option.String('--since', { description: 'Only entries at or after this: a duration back from now (1h, 30m, 7d) or an RFC 3339 time' });
  actor = Option.String('--actor', { description: 'Only this actor: local, daemon, token:<id>, a token name, or node:<id>' });
  node = Option.String('--node', { description: 'Only entries about this node (device id)' });
  action = Option.String('--action', { description: 'Only this action (pairing.approve), or a prefix ending in "." (dispatch.)' });
  limit = Option.String('--limit', { description: 'At most this many entries (default: all)' });
  json = Option.Boolean('--json', false, { description: 'Print one JSON array of entries' });

  async execute(): Promise<number> {
    const limit = parseLimit(this.limit);
    const since = parseSince(this.since);
    // Printed page by page, waiting for stdout to drain: a long log (or a daemon that sends
    // pages forever) never sits whole in this process's memory.
    const out = this.context.stdout;
    const write = async (text: string): Promise<void> => {
      if (!out.write(text)) await once(out, 'drain');
    };
    let printed = 0;
    try {
      await this.withClient(async (client) => {
        let afterSeq = 0;
        for (;;) {
          const want = limit === undefined ? PAGE : Math.min(PAGE, limit - printed);
          const page = await client.listAudit({
            afterSeq,
            limit: want,
            ...(since === undefined ? {} : { since }),
            ...(this.actor === undefined ? {} : { actor: this.actor }),
            ...(this.node === undefined ? {} : { node: this.node }),
            ...(this.action === undefined ? {} : { action: this.action }),
          });
          for (const entry of page.entries.slice(0, want)) {
            // The same bytes as printJson of the whole array, one element at a time.
            await write(this.json ? `${printed === 0 ? '[\n' : ',\n'}${indent(JSON.stringify(entry, null, 2))}` : `${formatEntry(entry)}\n`);
            printed += 1;
          }
          if (!page.more || (limit !== undefined && printed >= limit) || page.lastSeq <= afterSeq) return;
          afterSeq = page.lastSeq;
        }
      });
    } finally {
      // Stdout stays one JSON document even when a later page fails (the error line and the
      // exit status say so).
      if (this.json && printed > 0) await write('\n]\n');
    }
    if (this.json && printed === 0) await write('[]\n');
    else if (!this.json && printed === 0) this.print('no audit entries');
    return 0;
  }
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ');
}

/** One line: time, seq, actor, action, node, outcome, short details. */
function formatEntry(entry: Record<string, unknown>): string {
  const actor = entry.actor as Record<string, unknown> | undefined;
  const who =
    actor?.kind === 'local'
      ? `local:${String(actor.uid)}`
      : actor?.kind === 'token'
        ? `token:${String(actor.tokenId)}(${String(actor.tokenName)})`
        : actor?.kind === 'node'
          ? `node:${String(actor.deviceId)}`
          : String(actor?.kind ?? '?');
  const facts: string[] = [];
  for (const key of ['capability', 'inputBytes', 'durationMs', 'errorCode'] as const) {
    if (entry[key] !== undefined) facts.push(`${key}=${String(entry[key])}`);
  }
  for (const [key, value] of Object.entries((entry.details as Record<string, unknown> | undefined) ?? {})) facts.push(`${key}=${String(value)}`);
  if (entry.remoteAddress !== undefined) facts.push(`from=${String(entry.remoteAddress)}`);
  let details = facts.join(' ');
  if (details.length > 160) details = `${details.slice(0, 159)}…`;
  const fields = [entry.at, `#${String(entry.seq)}`, who, entry.action, entry.node ?? '-', entry.outcome, details].map((value) => safe(String(value)));
  return fields.join('  ').trimEnd();
}

/** The log stores text escaped already; a file edited by hand may not be. */
function safe(text: string): string {
  return hasUnsafeText(text) ? displayText(text) : text;
}

function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const limit = Number(text);
  if (!/^\d+$/.test(text) || limit < 1 || limit > 1_000_000) {
    throw new PalyraError('PALYRA_E_USAGE', `--limit must be a whole number from 1 to 1000000, not "${text.slice(0, 32)}"`);
  }
  return limit;
}

function parseSince(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (/^\d+(\.\d+)?(ms|s|m|h|d)?$/.test(text.trim())) return new Date(Date.now() - parseDuration(text, '--since')).toISOString();
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(at)) {
    throw new PalyraError('PALYRA_E_USAGE', `--since "${text.slice(0, 40)}" is neither a duration (1h, 30m, 7d) nor an RFC 3339 time`);
  }
  return new Date(at).toISOString();
}
