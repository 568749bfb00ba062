import { PalyraError } from '../errors/index.js';

/** Bytes of the length prefix: an unsigned 32-bit big-endian payload length. */
export const FRAME_HEADER_BYTES = 4;
/** Default largest payload a peer may announce (64 KiB). */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;

/**
 * Encodes one frame: the 4-byte big-endian payload length, then the payload. Refuses a
 * payload above `maxFrameBytes` (PALYRA_E_FRAME_TOO_LARGE): the peer would reject it anyway.
 */
export function encodeFrame(payload: Uint8Array, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Buffer {
  if (payload.byteLength > maxFrameBytes) {
    throw new PalyraError(
      'PALYRA_E_FRAME_TOO_LARGE',
      `a ${payload.byteLength}-byte frame exceeds the ${maxFrameBytes}-byte maximum`,
      { details: { size: payload.byteLength, max: maxFrameBytes } },
    );
  }
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.byteLength);
  frame.writeUInt32BE(payload.byteLength, 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/** Encodes `message` as a JSON frame. */
export function encodeJsonFrame(message: unknown, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Buffer {
  return encodeFrame(Buffer.from(JSON.stringify(message), 'utf8'), maxFrameBytes);
}

/**
 * Parses a JSON frame payload that must be an object. Anything else (invalid UTF-8 or JSON,
 * an array, a number) is PALYRA_E_FRAME_MALFORMED.
 */
export function decodeJsonPayload(payload: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (error) {
    throw new PalyraError('PALYRA_E_FRAME_MALFORMED', 'a frame payload is not UTF-8 JSON', { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PalyraError('PALYRA_E_FRAME_MALFORMED', 'a frame payload is not a JSON object');
  }
  return value as Record<string, unknown>;
}

/**
 * Splits a byte stream into frames, whatever the chunk boundaries (a header split across
 * chunks, many frames in one chunk). A length above the maximum fails at once, as soon as its
 * header is complete, before any of the payload is buffered; bytes left over when the stream
 * ends are a truncated frame. After a failure the decoder stays failed.
 */
export class FrameDecoder {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  /** Payload length of the frame being read, once its header is complete. */
  private expected: number | undefined;
  private failure: PalyraError | undefined;

  constructor(readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > 0xffffffff) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `maxFrameBytes must be an integer from 1 to 2^32-1, got ${maxFrameBytes}`);
    }
  }

  /** Bytes received and not yet returned as a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Adds received bytes; returns the payloads of the frames they complete, in order. */
  push(chunk: Uint8Array): Buffer[] {
    if (this.failure !== undefined) throw this.failure;
    if (chunk.byteLength > 0) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.buffered += chunk.byteLength;
    }
    const frames: Buffer[] = [];
    for (;;) {
      if (this.expected === undefined) {
        if (this.buffered < FRAME_HEADER_BYTES) break;
        const length = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
        if (length > this.maxFrameBytes) {
          this.failure = new PalyraError(
            'PALYRA_E_FRAME_TOO_LARGE',
            `the peer announced a ${length}-byte frame; the maximum is ${this.maxFrameBytes} bytes`,
            { details: { size: length, max: this.maxFrameBytes } },
          );
          this.chunks.length = 0;
          this.buffered = 0;
          throw this.failure;
        }
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      frames.push(this.take(this.expected));
      this.expected = undefined;
    }
    return frames;
  }

  /** The stream ended: fails when a frame was cut short. */
  end(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.expected !== undefined || this.buffered > 0) {
      const have = this.buffered;
      this.failure = new PalyraError(
        'PALYRA_E_FRAME_MALFORMED',
        this.expected === undefined
          ? `the stream ended inside a frame header (${have} of ${FRAME_HEADER_BYTES} bytes)`
          : `the stream ended inside a frame (${have} of ${this.expected} payload bytes)`,
      );
      throw this.failure;
    }
  }

  /** Removes and returns the first `n` buffered bytes (n <= buffered). */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first !== undefined && first.byteLength >= n) {
      if (first.byteLength === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      // A copy: the caller may keep the payload after the chunk's memory is reused.
      return Buffer.from(first.subarray(0, n));
    }
    const out = Buffer.allocUnsafe(n);
    let offset = 0;
    while (offset < n) {
      const chunk = this.chunks[0];
      if (chunk === undefined) throw new Error('FrameDecoder: buffered count out of sync');
      const used = Math.min(chunk.byteLength, n - offset);
      chunk.copy(out, offset, 0, used);
      offset += used;
      if (used === chunk.byteLength) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    return out;
  }
}
