import { PalyraError } from '@palyra/shared/errors';
import { describe, expect, it } from 'vitest';
import type { FanoutNodeResult } from '../../src/client/fanout/types.js';
import type { InvocationResult } from '../../src/client/invocation.js';
import { errorOutcome, fanoutOutcome, MAX_FANOUT_OUTPUT_CHARS, singleOutcome } from '../../src/tools/toolOutcome.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').toString('base64');
const JPEG = Buffer.from('ffd8ffe000104a4649460001', 'hex').toString('base64');
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00', 'latin1').toString('base64');
const WEBP = Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1').toString('base64');

function result(status: InvocationResult['status'], output: unknown, error: InvocationResult['error'] = null): InvocationResult {
  return { dispatchId: '01DISPATCH', status, output, error, durationMs: 5 };
}

function nodeResult(node: string, status: FanoutNodeResult['status'], output: unknown, error: FanoutNodeResult['error'] = null): FanoutNodeResult {
  return { node, deviceId: `ID-${node}`, dispatchId: status === 'skipped' ? '' : `D-${node}`, status, ok: status === 'succeeded', output, error, durationMs: 1 };
}

describe('tool call outcomes', () => {
  it('one node: an object output is the structured content, anything else is { result }; text is its JSON', () => {
    const object = singleOutcome(result('succeeded', { stdout: 'hi\n', exitCode: 0 }));
    expect(object).toEqual({ isError: false, structured: { stdout: 'hi\n', exitCode: 0 }, text: '{"stdout":"hi\\n","exitCode":0}', images: [] });
    expect(singleOutcome(result('succeeded', [1, 2])).structured).toEqual({ result: [1, 2] });
    expect(singleOutcome(result('succeeded', 'text')).structured).toEqual({ result: 'text' });
    expect(singleOutcome(result('succeeded', null)).structured).toEqual({ result: null });
  });

  it('one node that did not succeed: isError with { status, error: { code, message } }, the node text sanitized', () => {
    const failed = singleOutcome(result('failed', null, { code: 'PALYRA_E_CAPABILITY_FAILED', message: 'boom\u001b[31m red\u202e', details: { secret: 'x' } } as never));
    expect(failed).toMatchObject({ isError: true, structured: { status: 'failed', error: { code: 'PALYRA_E_CAPABILITY_FAILED', message: 'boom [31m red' } } });
    expect(failed.text).not.toContain('secret');
    expect(singleOutcome(result('timed_out', { stdout: 'partial' })).structured).toEqual({ status: 'timed_out', error: { code: 'PALYRA_E_TIMEOUT', message: 'the dispatch ended timed_out' }, output: { stdout: 'partial' } });
  });

  it('a screenshot becomes image content; its base64 is left out of the structured and text forms', () => {
    const shot = singleOutcome(result('succeeded', { url: 'https://example.com/', mimeType: 'image/png', data: PNG, bytes: 8 }));
    expect(shot.images).toEqual([{ data: PNG, mimeType: 'image/png' }]);
    expect(shot.structured).toEqual({ url: 'https://example.com/', mimeType: 'image/png', bytes: 8 });
    expect(shot.text).not.toContain(PNG);
    // Not an image: a PDF, or data that is not base64, stays as it is.
    expect(singleOutcome(result('succeeded', { mimeType: 'application/pdf', data: PNG })).images).toEqual([]);
    expect(singleOutcome(result('succeeded', { mimeType: 'image/png', data: 'not base64!' })).images).toEqual([]);
  });

  it('fan-out: results in node order, a summary, an error only when no node succeeded', () => {
    const mixed = fanoutOutcome([
      nodeResult('web-2', 'failed', null, { code: 'PALYRA_E_CAPABILITY_FAILED', message: 'no' }),
      nodeResult('web-1', 'succeeded', { stdout: 'ok' }),
      nodeResult('web-3', 'skipped', null),
    ]);
    expect(mixed.isError).toBe(false);
    expect(mixed.structured).toEqual({
      results: [
        { node: 'web-1', deviceId: 'ID-web-1', status: 'succeeded', ok: true, output: { stdout: 'ok' }, error: null },
        { node: 'web-2', deviceId: 'ID-web-2', status: 'failed', ok: false, output: null, error: { code: 'PALYRA_E_CAPABILITY_FAILED', message: 'no' } },
        { node: 'web-3', deviceId: 'ID-web-3', status: 'skipped', ok: false, output: null, error: null },
      ],
      summary: { total: 3, succeeded: 1, failed: 2 },
    });
    expect(fanoutOutcome([nodeResult('a', 'timed_out', null)]).isError).toBe(true);
    const shots = fanoutOutcome([nodeResult('a', 'succeeded', { mimeType: 'image/png', data: PNG }), nodeResult('b', 'succeeded', { mimeType: 'image/jpeg', data: JPEG })]);
    expect(shots.images.map((i) => i.mimeType)).toEqual(['image/png', 'image/jpeg']);
  });

  it('image content only for bytes that are that image: a node’s fake or mislabelled "image" never reaches the agent’s model as one', () => {
    // Model APIs refuse a request whose image does not decode or does not match its media type:
    // one hostile node would otherwise break the agent's whole conversation.
    const fake = singleOutcome(result('succeeded', { mimeType: 'image/png', data: 'AAAAAAAAAAAA' }));
    expect(fake.images).toEqual([]);
    expect(fake.structured).toEqual({ mimeType: 'image/png', data: 'AAAAAAAAAAAA' });
    expect(singleOutcome(result('succeeded', { mimeType: 'image/png', data: '' })).images).toEqual([]);
    // Real JPEG bytes labelled PNG: the image, with the type its bytes have.
    expect(singleOutcome(result('succeeded', { mimeType: 'image/png', data: JPEG })).images).toEqual([{ data: JPEG, mimeType: 'image/jpeg' }]);
    for (const [data, mimeType] of [
      [GIF, 'image/gif'],
      [WEBP, 'image/webp'],
    ] as const) {
      expect(singleOutcome(result('succeeded', { mimeType, data })).images).toEqual([{ data, mimeType }]);
    }
  });

  it('fan-out: each row says which image content is its own', () => {
    const shots = fanoutOutcome([nodeResult('c', 'succeeded', { mimeType: 'image/png', data: PNG }), nodeResult('a', 'succeeded', { mimeType: 'image/jpeg', data: JPEG }), nodeResult('b', 'failed', null)]);
    const rows = (shots.structured as { results: Array<{ node: string; image?: number }> }).results;
    expect(rows.map((r) => [r.node, r.image])).toEqual([
      ['a', 0],
      ['b', undefined],
      ['c', 1],
    ]);
    expect(shots.images.map((i) => i.mimeType)).toEqual(['image/jpeg', 'image/png']);
  });

  it('fan-out outputs are bounded in total: past the budget a node’s output is omitted and marked', () => {
    const big = 'x'.repeat(MAX_FANOUT_OUTPUT_CHARS / 2);
    const outcome = fanoutOutcome([nodeResult('a', 'succeeded', { s: big }), nodeResult('b', 'succeeded', { s: big }), nodeResult('c', 'succeeded', { s: 'small' })]);
    const rows = (outcome.structured as { results: Array<{ node: string; output: unknown; outputOmitted?: boolean }> }).results;
    expect(rows.map((r) => [r.node, r.outputOmitted === true])).toEqual([
      ['a', false],
      ['b', true],
      ['c', false],
    ]);
  });

  it('an error before or outside a dispatch is a rejected result with its code (and the missing permission)', () => {
    expect(errorOutcome(new PalyraError('PALYRA_E_FORBIDDEN', 'no', { details: { permission: 'compat.tools.call', other: 1 } }))).toMatchObject({
      isError: true,
      structured: { status: 'rejected', error: { code: 'PALYRA_E_FORBIDDEN', message: 'no', details: { permission: 'compat.tools.call' } } },
    });
    expect(errorOutcome(new Error('plain')).structured).toMatchObject({ error: { code: 'PALYRA_E_INTERNAL' } });
  });

  it('an output nested too deep to serialize: one node’s never costs the other nodes of a fan-out their results', () => {
    // A node may send any JSON: JSON.parse reads 10,000 levels, JSON.stringify overflows the stack.
    const deep = JSON.parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`) as unknown;
    const fanout = fanoutOutcome([nodeResult('evil', 'succeeded', deep), nodeResult('good', 'succeeded', { stdout: 'ok' })]);
    const rows = (fanout.structured as { results: Array<{ node: string; output: unknown; outputOmitted?: boolean }> }).results;
    expect(rows).toMatchObject([
      { node: 'evil', output: null, outputOmitted: true },
      { node: 'good', output: { stdout: 'ok' } },
    ]);
    expect(fanout.isError).toBe(false);
    expect(() => JSON.parse(fanout.text) as unknown).not.toThrow();
    // One node: an error result saying why, not an internal stack overflow message.
    const single = singleOutcome(result('succeeded', deep));
    expect(single.isError).toBe(true);
    expect(single.structured).toMatchObject({ status: 'succeeded', error: { code: 'PALYRA_E_OUTPUT_INVALID' } });
    expect(single.text).not.toMatch(/call stack/i);
  });

  it('fan-out images count against the output budget: many nodes’ screenshots never make one unbounded result', () => {
    const third = Math.floor(MAX_FANOUT_OUTPUT_CHARS / 3 / 4) * 4 + 4096;
    const head = Buffer.from('89504e470d0a1a0a0000000d494844520000', 'hex').toString('base64'); // 18 bytes: no padding
    const big = head + 'A'.repeat(third - head.length);
    const shots = fanoutOutcome(['a', 'b', 'c', 'd'].map((n) => nodeResult(n, 'succeeded', { mimeType: 'image/png', data: big })));
    const total = shots.text.length + shots.images.reduce((sum, i) => sum + i.data.length, 0);
    expect(total).toBeLessThanOrEqual(MAX_FANOUT_OUTPUT_CHARS + 64 * 1024);
    const rows = (shots.structured as { results: Array<{ node: string; image?: number; outputOmitted?: boolean }> }).results;
    expect(rows.map((r) => [r.node, r.image, r.outputOmitted === true])).toEqual([
      ['a', 0, false],
      ['b', 1, false],
      ['c', undefined, true],
      ['d', undefined, true],
    ]);
  });
});
