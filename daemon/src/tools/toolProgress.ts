import { StringDecoder } from 'node:string_decoder';
import { cleanOutput, cleanText, clip } from './toolText.js';
import type { ToolCallProgress } from './types.js';

/** What one call may send as progress: a node can stream without end, an agent's context cannot take it. */
export const PROGRESS_LIMITS = {
  /** Output text in one notification. */
  maxChunkChars: 4 * 1024,
  /** Output text over the whole call; past it one notification says the rest is not forwarded. */
  maxOutputChars: 64 * 1024,
  /** Notifications per call, of any kind. */
  maxNotifications: 1_000,
  /** A progress event's message. */
  maxMessageChars: 512,
} as const;

/**
 * Turns a call's progress events and output chunks into ToolCallProgress notifications:
 * `progress` is a counter, so it increases strictly whatever the order of events, the node's
 * ratios (which may go back) and the nodes of a fan-out; the ratio goes into the message.
 */
export class ToolProgressReporter {
  private sent = 0;
  private outputChars = 0;
  private clipped = false;
  private readonly decoders = new Map<string, StringDecoder>();

  constructor(private readonly send: (progress: ToolCallProgress) => void) {}

  progress(ratio: number, message: string, node?: string): void {
    const percent = Number.isFinite(ratio) ? `${Math.round(Math.min(1, Math.max(0, ratio)) * 100)}%` : '';
    const text = cleanText(message, PROGRESS_LIMITS.maxMessageChars);
    this.emit(`${prefix(node)}${[percent, text].filter((p) => p !== '').join(' ')}`);
  }

  output(chunk: Buffer, node?: string): void {
    if (this.clipped) return;
    const key = node ?? '';
    let decoder = this.decoders.get(key);
    if (decoder === undefined) {
      decoder = new StringDecoder('utf8');
      this.decoders.set(key, decoder);
    }
    // Decode only what could still be forwarded: a 4 MiB chunk is never turned into text whole.
    const room = PROGRESS_LIMITS.maxOutputChars - this.outputChars;
    const text = cleanOutput(decoder.write(chunk.subarray(0, Math.min(chunk.length, room * 4))));
    if (text === '') return;
    const kept = clip(text, Math.min(PROGRESS_LIMITS.maxChunkChars, room));
    this.outputChars += kept.length;
    this.emit(`${prefix(node)}${kept}`);
    if (this.outputChars >= PROGRESS_LIMITS.maxOutputChars) {
      this.clipped = true;
      this.emit(`output beyond ${PROGRESS_LIMITS.maxOutputChars} characters is not forwarded; the result carries the final output`);
    }
  }

  private emit(message: string): void {
    if (this.sent >= PROGRESS_LIMITS.maxNotifications) return;
    this.sent++;
    this.send({ progress: this.sent, message });
  }
}

function prefix(node: string | undefined): string {
  return node === undefined ? '' : `[${cleanText(node, 128)}] `;
}
