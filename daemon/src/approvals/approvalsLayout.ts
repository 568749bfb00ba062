/**
 * How the approvals screen divides the terminal: pure arithmetic, so the UI only draws.
 * Sized for 80x24 at least; smaller terminals drop columns and rows rather than wrap.
 */

/** Lines that are not list rows or log lines: title, list borders and header, notice (2), log label, footer. */
const FIXED_LINES = 8;
/** Ink clears and redraws the whole screen when its output is as tall as the terminal: stay one line short. */
const SPARE_LINES = 1;
const MIN_NAME = 10;

export interface ColumnWidths {
  /** Each width includes the space after the column; 0 means the column is hidden. */
  marker: number;
  name: number;
  platform: number;
  address: number;
  sas: number;
  age: number;
  flag: number;
}

export interface ApprovalsLayout {
  /** Lines of the request list, the "+N more" line included. */
  listLines: number;
  /** Lines of the events pane. */
  logLines: number;
  /** Width inside the list border. */
  innerWidth: number;
  columns: ColumnWidths;
}

export function approvalsLayout(terminal: { columns: number; rows: number }, longestSas = 9): ApprovalsLayout {
  const rows = Math.max(terminal.rows, 12);
  const available = rows - FIXED_LINES - SPARE_LINES;
  const logLines = Math.min(6, Math.max(2, Math.floor(available / 3)));
  const listLines = Math.max(2, available - logLines);
  const innerWidth = Math.max(terminal.columns, 40) - 2;

  const columns: ColumnWidths = { marker: 2, name: 0, platform: 13, address: 18, sas: Math.max(9, longestSas) + 1, age: 7, flag: 7 };
  const rest = (): number => innerWidth - columns.marker - columns.platform - columns.address - columns.sas - columns.age - columns.flag;
  if (rest() < MIN_NAME) columns.address = 0;
  if (rest() < MIN_NAME) columns.platform = 0;
  columns.name = Math.max(MIN_NAME, rest());
  return { listLines, logLines, innerWidth, columns };
}

export interface ListWindow {
  /** Index of the first row shown. */
  start: number;
  /** One past the last row shown. */
  end: number;
  hiddenAbove: number;
  hiddenBelow: number;
}

/**
 * Which rows of `count` fit in `lines` lines with `selected` visible. When they do not all
 * fit, the last line is spent on "+N more", so `lines - 1` rows show.
 */
export function listWindow(count: number, selected: number, lines: number): ListWindow {
  if (count <= lines) return { start: 0, end: count, hiddenAbove: 0, hiddenBelow: 0 };
  const slots = Math.max(1, lines - 1);
  const focus = Math.min(Math.max(selected, 0), count - 1);
  const start = Math.min(Math.max(0, focus - slots + 1), count - slots);
  const end = start + slots;
  return { start, end, hiddenAbove: start, hiddenBelow: count - end };
}

/** "+N more", saying on which side they are when it is not only below. */
export function moreLabel(window: ListWindow): string {
  const hidden = window.hiddenAbove + window.hiddenBelow;
  if (window.hiddenAbove === 0) return `+${hidden} more`;
  if (window.hiddenBelow === 0) return `+${hidden} more above`;
  return `+${hidden} more (${window.hiddenAbove} above, ${window.hiddenBelow} below)`;
}

/** A request's age: 42s, 3m07s, 2h05m, 3d04h. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${pad(seconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${pad(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d${pad(hours % 24)}h`;
}

/** At most `max` characters (code points), ending in … when cut. For text outside fixed-width cells. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Local time of day, HH:MM:SS. */
export function formatClock(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '--:--:--';
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function pad(n: number): string {
  return n.toString().padStart(2, '0');
}
