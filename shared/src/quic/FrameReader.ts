import { PalyraError } from '../errors/index.js';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, decodeJsonPayload } from './framing.js';

/** What FrameReader needs of a WHATWG stream reader (a QUIC stream's readable, in practice). */
export interface ByteReader {
  read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>;
}

/**
 * Reads whole frames from a byte stream. `next()` resolves with the next payload, or
 * undefined when the stream ended cleanly between two frames; it rejects with
 * PALYRA_E_FRAME_TOO_LARGE / PALYRA_E_FRAME_MALFORMED on a framing violation and with the
 * stream's own error when the stream fails.
 */
export class FrameReader {
  private readonly decoder: FrameDecoder;
  private readonly ready: Buffer[] = [];
  private ended = false;

  constructor(
    private readonly reader: ByteReader,
    maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
  ) {
    this.decoder = new FrameDecoder(maxFrameBytes);
  }

  async next(): Promise<Buffer | undefined> {
    for (;;) {
      const frame = this.ready.shift();
      if (frame !== undefined) return frame;
      if (this.ended) return undefined;
      const { done, value } = await this.reader.read();
      if (done) {
        this.ended = true;
        this.decoder.end();
        continue;
      }
      if (value !== undefined) this.ready.push(...this.decoder.push(value));
    }
  }

  /** The next frame as a JSON object, or undefined at a clean end. */
  async nextJson(): Promise<Record<string, unknown> | undefined> {
    const payload = await this.next();
    return payload === undefined ? undefined : decodeJsonPayload(payload);
  }

  /** The next JSON frame; a clean end here is PALYRA_E_QUIC_CLOSED (`what` names the missing message). */
  async expectJson(what: string): Promise<Record<string, unknown>> {
    const message = await this.nextJson();
    if (message === undefined) throw new PalyraError('PALYRA_E_QUIC_CLOSED', `the stream ended before ${what}`);
    return message;
  }
}
