import { StringDecoder } from 'node:string_decoder';
import { displayText } from '@palyra/shared/text';
import type { FanoutNodeResult, FanoutStatus, FanoutTarget } from '../client/fanout/types.js';
import { displayNodeNames } from './nodeNames.js';

/** A node's name in the prefix column is cut to this many characters (the table shows it whole). */
const MAX_PREFIX_WIDTH = 24;
/** An output line longer than this is printed in pieces: a node never makes us hold more. */
const MAX_PENDING_LINE_BYTES = 16 * 1024;
/** A result printed in text mode (no streamed output) is cut to this many characters. */
const MAX_RESULT_TEXT = 1_000;
const COLOURS = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96];

/** What `nodes invoke -l|--all` keeps per node: no output, so 10,000 nodes cost little. */
interface SummaryRow {
  node: string;
  status: FanoutStatus;
  ok: boolean;
  exitCode: number | null | undefined;
  durationMs: number;
}

export interface FanoutCounts {
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  skipped: number;
  byStatus: Partial<Record<FanoutStatus, number>>;
  durationMs: number;
}

/**
 * Prints a fan-out: in text, each node's streamed output line by line behind its name
 * (padded, a colour per node on a terminal), an error line per node that did not succeed,
 * then a summary table and the counts; with --json, one JSON line per node result and a
 * summary object. Keeps one small row per node and at most one partial line per running node.
 */
export class FanoutPrinter {
  private names = new Map<string, string>();
  private colours = new Map<string, number>();
  private width = 0;
  /** Per running node: its partial last line, and a decoder (a chunk may end inside a UTF-8 character). */
  private readonly pending = new Map<string, { decoder: StringDecoder; text: string }>();
  private readonly streamed = new Set<string>();
  private readonly rows: SummaryRow[] = [];
  private readonly started = Date.now();

  constructor(
    private readonly stdout: NodeJS.WritableStream,
    private readonly json: boolean,
    private readonly colour: boolean,
  ) {}

  setTargets(targets: readonly FanoutTarget[]): void {
    this.names = displayNodeNames(targets.map((t) => ({ deviceId: t.deviceId, name: t.name })));
    targets.forEach((t, i) => this.colours.set(t.deviceId, COLOURS[i % COLOURS.length]!));
    this.width = Math.min(MAX_PREFIX_WIDTH, Math.max(0, ...[...this.names.values()].map((n) => n.length)));
  }

  /** Streamed output: complete lines are printed at once, a partial one waits for its end. */
  output(target: FanoutTarget, chunk: Buffer): void {
    if (this.json) return;
    this.streamed.add(target.deviceId);
    const state = this.pending.get(target.deviceId) ?? { decoder: new StringDecoder('utf8'), text: '' };
    this.pending.set(target.deviceId, state);
    let text = state.text + state.decoder.write(chunk);
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      this.line(target.deviceId, text.slice(0, newline));
      text = text.slice(newline + 1);
      newline = text.indexOf('\n');
    }
    while (text.length > MAX_PENDING_LINE_BYTES) {
      this.line(target.deviceId, text.slice(0, MAX_PENDING_LINE_BYTES));
      text = text.slice(MAX_PENDING_LINE_BYTES);
    }
    state.text = text;
  }

  result(result: FanoutNodeResult): void {
    this.rows.push({ node: this.nameOf(result.deviceId, result.node), status: result.status, ok: result.ok, exitCode: result.exitCode, durationMs: result.durationMs });
    if (this.json) {
      const { ok: _ok, ...shown } = result;
      this.stdout.write(`${JSON.stringify(shown)}\n`);
      return;
    }
    const state = this.pending.get(result.deviceId);
    this.pending.delete(result.deviceId);
    const rest = state === undefined ? '' : state.text + state.decoder.end();
    if (rest !== '') this.line(result.deviceId, rest);
    if (!this.streamed.delete(result.deviceId) && result.status === 'succeeded' && result.output !== null) {
      const text = JSON.stringify(result.output);
      this.line(result.deviceId, text.length > MAX_RESULT_TEXT ? `${text.slice(0, MAX_RESULT_TEXT)}...` : text);
    }
    if (result.error !== null) this.line(result.deviceId, `error ${result.error.code}: ${result.status}: ${result.error.message.replace(/\s*\n\s*/g, ' ')}`);
    else if (!result.ok) this.line(result.deviceId, `exit code ${String(result.exitCode)}`);
  }

  /** The table and counts (text), or the summary object (--json); returns the counts. */
  summary(): FanoutCounts {
    const counts: FanoutCounts = { total: this.rows.length, succeeded: 0, failed: 0, cancelled: 0, skipped: 0, byStatus: {}, durationMs: Date.now() - this.started };
    for (const row of this.rows) {
      counts.byStatus[row.status] = (counts.byStatus[row.status] ?? 0) + 1;
      if (row.ok) counts.succeeded += 1;
      else if (row.status === 'skipped') counts.skipped += 1;
      else if (row.status === 'cancelled') counts.cancelled += 1;
      else counts.failed += 1;
    }
    if (this.json) {
      this.stdout.write(`${JSON.stringify({ summary: counts })}\n`);
      return counts;
    }
    const width = Math.max(4, ...this.rows.map((r) => r.node.length));
    const statusWidth = Math.max(6, ...this.rows.map((r) => r.status.length));
    this.stdout.write('\n');
    this.stdout.write(`${'NODE'.padEnd(width)}  ${'STATUS'.padEnd(statusWidth)}  EXIT  DURATION\n`);
    for (const row of this.rows) {
      const exit = row.exitCode === undefined ? '-' : String(row.exitCode);
      this.stdout.write(`${row.node.padEnd(width)}  ${row.status.padEnd(statusWidth)}  ${exit.padEnd(4)}  ${formatDuration(row.durationMs)}\n`);
    }
    this.stdout.write(
      `${counts.total} nodes: ${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.cancelled} cancelled, ${counts.skipped} skipped (${formatDuration(counts.durationMs)})\n`,
    );
    return counts;
  }

  private nameOf(deviceId: string, fallback: string): string {
    return this.names.get(deviceId) ?? displayText(fallback);
  }

  private line(deviceId: string, text: string): void {
    const name = this.nameOf(deviceId, deviceId);
    const shown = name.length > this.width ? `${name.slice(0, this.width - 1)}~` : name.padEnd(this.width);
    const prefix = this.colour ? `\u001b[${this.colours.get(deviceId) ?? 0}m${shown}\u001b[0m` : shown;
    // Node output is attacker-controlled: escaped, so it cannot fake another node's prefix.
    this.stdout.write(`${prefix} | ${displayText(text.replace(/\r$/, ''))}\n`);
  }
}

function formatDuration(ms: number): string {
  return ms < 1_000 ? `${ms}ms` : `${(ms / 1_000).toFixed(1)}s`;
}
