import { describe, expect, it } from 'vitest';
import {
  FRAME_HEADER_BYTES,
  FrameDecoder,
  FrameReader,
  PalyraError,
  decodeJsonPayload,
  encodeFrame,
  encodeJsonFrame,
  errorForConnectionClose,
  errorForStreamCode,
  parseQuicRequest,
  parseSha256Fingerprint,
  streamCodeFor,
  QUIC_CONNECTION_CODE,
  QUIC_STREAM_CODE,
  TLS_ALERT,
} from '../../src/index.js';

function header(length: number): Buffer {
  const b = Buffer.alloc(FRAME_HEADER_BYTES);
  b.writeUInt32BE(length, 0);
  return b;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof PalyraError) return error.code;
    throw error;
  }
  throw new Error('expected a PalyraError');
}

describe('encodeFrame', () => {
  it('prefixes the payload with its length, big-endian', () => {
    const frame = encodeFrame(Buffer.from('abc'));
    expect([...frame]).toEqual([0, 0, 0, 3, 0x61, 0x62, 0x63]);
    expect(encodeFrame(new Uint8Array(0))).toEqual(Buffer.from([0, 0, 0, 0]));
    expect(encodeFrame(Buffer.alloc(0x01_02_03), 0x01_00_00_00).subarray(0, 4)).toEqual(Buffer.from([0, 1, 2, 3]));
  });

  it('refuses a payload above the maximum', () => {
    expect(codeOf(() => encodeFrame(Buffer.alloc(11), 10))).toBe('PALYRA_E_FRAME_TOO_LARGE');
    expect(encodeFrame(Buffer.alloc(10), 10)).toHaveLength(14);
  });

  it('round-trips JSON', () => {
    const frames = new FrameDecoder().push(encodeJsonFrame({ method: 'node.health', params: { a: [1, 'é'] } }));
    expect(frames).toHaveLength(1);
    expect(decodeJsonPayload(frames[0]!)).toEqual({ method: 'node.health', params: { a: [1, 'é'] } });
  });
});

describe('FrameDecoder', () => {
  const a = encodeJsonFrame({ n: 1 });
  const b = encodeJsonFrame({ n: 2, text: 'x'.repeat(300) });
  const stream = Buffer.concat([a, b, encodeFrame(new Uint8Array(0))]);

  it('returns several frames from one chunk', () => {
    const frames = new FrameDecoder().push(stream);
    expect(frames.map((f) => f.length)).toEqual([a.length - 4, b.length - 4, 0]);
    expect(decodeJsonPayload(frames[1]!).n).toBe(2);
  });

  it('reassembles frames from partial reads at every split point', () => {
    for (let split = 0; split <= stream.length; split++) {
      const decoder = new FrameDecoder();
      const frames = [...decoder.push(stream.subarray(0, split)), ...decoder.push(stream.subarray(split))];
      expect(frames.map((f) => f.toString())).toEqual(new FrameDecoder().push(stream).map((f) => f.toString()));
      expect(decoder.pendingBytes).toBe(0);
      decoder.end();
    }
  });

  it('reassembles a stream fed one byte at a time (headers split across reads)', () => {
    const decoder = new FrameDecoder();
    const frames: Buffer[] = [];
    for (const byte of stream) frames.push(...decoder.push(Buffer.from([byte])));
    expect(frames).toHaveLength(3);
    expect(decodeJsonPayload(frames[0]!)).toEqual({ n: 1 });
  });

  it('keeps a partial frame until the rest arrives', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(a.subarray(0, 2))).toEqual([]);
    expect(decoder.push(a.subarray(2, 6))).toEqual([]);
    expect(decoder.pendingBytes).toBe(2);
    expect(decoder.push(a.subarray(6))).toHaveLength(1);
  });

  it('fails on an oversized length as soon as the header is complete, before the payload', () => {
    const decoder = new FrameDecoder(1024);
    expect(decoder.push(header(1025).subarray(0, 3))).toEqual([]);
    expect(codeOf(() => decoder.push(header(1025).subarray(3)))).toBe('PALYRA_E_FRAME_TOO_LARGE');
    // And stays failed: nothing after a violation is trusted.
    expect(codeOf(() => decoder.push(encodeJsonFrame({ ok: true })))).toBe('PALYRA_E_FRAME_TOO_LARGE');
    expect(decoder.pendingBytes).toBe(0);
  });

  it('accepts a frame of exactly the maximum and refuses the largest 32-bit length', () => {
    expect(new FrameDecoder(8).push(Buffer.concat([header(8), Buffer.alloc(8)]))).toHaveLength(1);
    expect(codeOf(() => new FrameDecoder().push(header(0xffffffff)))).toBe('PALYRA_E_FRAME_TOO_LARGE');
  });

  it('reports a stream that ends inside a header or a payload as malformed', () => {
    const inHeader = new FrameDecoder();
    inHeader.push(a.subarray(0, 3));
    expect(codeOf(() => inHeader.end())).toBe('PALYRA_E_FRAME_MALFORMED');
    const inPayload = new FrameDecoder();
    inPayload.push(a.subarray(0, a.length - 1));
    expect(codeOf(() => inPayload.end())).toBe('PALYRA_E_FRAME_MALFORMED');
  });

  it('refuses a nonsensical maximum', () => {
    expect(codeOf(() => new FrameDecoder(0))).toBe('PALYRA_E_INVALID_ARGUMENT');
  });
});

describe('decodeJsonPayload', () => {
  it('accepts objects only', () => {
    expect(codeOf(() => decodeJsonPayload(Buffer.from('{not json')))).toBe('PALYRA_E_FRAME_MALFORMED');
    expect(codeOf(() => decodeJsonPayload(Buffer.from('[1,2]')))).toBe('PALYRA_E_FRAME_MALFORMED');
    expect(codeOf(() => decodeJsonPayload(Buffer.from('42')))).toBe('PALYRA_E_FRAME_MALFORMED');
    expect(codeOf(() => decodeJsonPayload(Buffer.from([0x7b, 0xff, 0x7d])))).toBe('PALYRA_E_FRAME_MALFORMED');
    expect(decodeJsonPayload(Buffer.from('{}'))).toEqual({});
  });
});

describe('FrameReader', () => {
  function readerOf(chunks: Uint8Array[], failWith?: Error) {
    let i = 0;
    return {
      read: async () => {
        const value = chunks[i++];
        if (value !== undefined) return { done: false, value };
        if (failWith !== undefined) throw failWith;
        return { done: true, value: undefined };
      },
    };
  }

  it('yields frames across chunks, then undefined at a clean end', async () => {
    const bytes = Buffer.concat([encodeJsonFrame({ n: 1 }), encodeJsonFrame({ n: 2 })]);
    const reader = new FrameReader(readerOf([bytes.subarray(0, 5), bytes.subarray(5, 13), bytes.subarray(13)]));
    expect(await reader.nextJson()).toEqual({ n: 1 });
    expect(await reader.nextJson()).toEqual({ n: 2 });
    expect(await reader.nextJson()).toBeUndefined();
    expect(await reader.next()).toBeUndefined();
  });

  it('rejects a truncated frame and an oversized one', async () => {
    const truncated = new FrameReader(readerOf([encodeJsonFrame({ n: 1 }).subarray(0, 6)]));
    await expect(truncated.next()).rejects.toMatchObject({ code: 'PALYRA_E_FRAME_MALFORMED' });
    const oversized = new FrameReader(readerOf([header(100)]), 64);
    await expect(oversized.next()).rejects.toMatchObject({ code: 'PALYRA_E_FRAME_TOO_LARGE' });
  });

  it('passes the stream\'s own error through, and expectJson names the missing message', async () => {
    const failing = new FrameReader(readerOf([], new Error('reset')));
    await expect(failing.next()).rejects.toThrow('reset');
    const empty = new FrameReader(readerOf([]));
    await expect(empty.expectJson('the result')).rejects.toMatchObject({ code: 'PALYRA_E_QUIC_CLOSED' });
  });
});

describe('protocol helpers', () => {
  it('parses requests and refuses malformed ones', () => {
    expect(parseQuicRequest({ method: 'node.health' })).toEqual({ method: 'node.health', params: {} });
    expect(codeOf(() => parseQuicRequest({}))).toBe('PALYRA_E_FRAME_MALFORMED');
    expect(codeOf(() => parseQuicRequest({ method: 'x', params: [1] }))).toBe('PALYRA_E_FRAME_MALFORMED');
  });

  it('maps errors to stream codes and back', () => {
    for (const code of ['PALYRA_E_FRAME_MALFORMED', 'PALYRA_E_FRAME_TOO_LARGE', 'PALYRA_E_LIMIT_EXCEEDED'] as const) {
      expect(errorForStreamCode(streamCodeFor(new PalyraError(code, 'x'))).code).toBe(code);
    }
    expect(streamCodeFor(new Error('plain'))).toBe(QUIC_STREAM_CODE.NONE);
    expect(errorForStreamCode(99).code).toBe('PALYRA_E_QUIC_CLOSED');
  });

  it('explains connection closes', () => {
    const refused = errorForConnectionClose({ isApp: true, errorCode: QUIC_CONNECTION_CODE.TOO_MANY_CONNECTIONS, reason: Buffer.from('full') });
    expect(refused.code).toBe('PALYRA_E_QUIC_TOO_MANY_CONNECTIONS');
    expect(refused.message).toBe('full');
    const tls = errorForConnectionClose({ isApp: false, errorCode: TLS_ALERT.CERTIFICATE_REVOKED });
    expect(tls.code).toBe('PALYRA_E_QUIC_HANDSHAKE');
    expect(tls.message).toContain('revoked');
  });

  it('normalizes pinned fingerprints', () => {
    const hex = 'ab'.repeat(32);
    expect(parseSha256Fingerprint(hex.toUpperCase())).toBe(hex);
    expect(parseSha256Fingerprint(`sha256:${hex.match(/../g)!.join(':')}`)).toBe(hex);
    expect(codeOf(() => parseSha256Fingerprint('abc'))).toBe('PALYRA_E_USAGE');
  });
});
