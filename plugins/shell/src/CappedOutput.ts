/**
 * One output stream's bytes, kept up to `limit`. Bytes beyond the limit are counted and
 * dropped; `truncated` says so.
 */
export class CappedOutput {
  private readonly chunks: Uint8Array[] = [];
  private kept = 0;
  /** Every byte the stream produced, kept or not. */
  totalBytes = 0;

  constructor(private readonly limit: number) {}

  get truncated(): boolean {
    return this.totalBytes > this.kept;
  }

  /** Keeps what fits of `chunk` and returns that part (empty once the limit is reached). */
  push(chunk: Uint8Array): Uint8Array {
    this.totalBytes += chunk.byteLength;
    const room = this.limit - this.kept;
    if (room <= 0) return chunk.subarray(0, 0);
    const accepted = chunk.byteLength <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(accepted);
    this.kept += accepted.byteLength;
    return accepted;
  }

  /** The kept bytes as UTF-8; a character cut at the limit becomes U+FFFD. */
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  /** The last `bytes` kept bytes as UTF-8 (for error details). */
  tail(bytes: number): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.byteLength - bytes)).toString('utf8');
  }
}
