import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { batchSize, parseBatchOption } from '../../src/client/fanout/batchSize.js';
import type { FanoutNodeResult } from '../../src/client/fanout/types.js';
import { FanoutPrinter } from '../../src/commands/fanoutOutput.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

const a = { deviceId: '01AAAAAAAAAAAAAAAAAAAAAAAA', name: 'web-1' };
const b = { deviceId: '01BBBBBBBBBBBBBBBBBBBBBBBB', name: 'database-primary' };

function result(target: typeof a, over: Partial<FanoutNodeResult>): FanoutNodeResult {
  return { node: target.name, deviceId: target.deviceId, dispatchId: 'd', status: 'succeeded', ok: true, output: null, error: null, durationMs: 5, ...over };
}

describe('--batch', () => {
  it('takes a count or a percentage, rounds a percentage up, refuses the rest', () => {
    expect(parseBatchOption('5')).toEqual({ count: 5 });
    expect(parseBatchOption('25%')).toEqual({ percent: 25 });
    expect(batchSize({ percent: 25 }, 20)).toBe(5);
    expect(batchSize({ percent: 10 }, 3)).toBe(1);
    expect(batchSize({ count: 7 }, 3)).toBe(7);
    expect(batchSize(undefined, 20)).toBe(20);
    for (const bad of ['0', '0%', '101%', '-1', '5.5', 'x', '', '1e3']) expect(() => parseBatchOption(bad), bad).toThrow(expect.objectContaining({ code: 'PALYRA_E_USAGE' }));
  });
});

describe('FanoutPrinter', () => {
  it('prefixes whole lines with the padded name, joins split UTF-8 and lines, escapes control characters', () => {
    const out = capture();
    const printer = new FanoutPrinter(out.stream, false, false);
    printer.setTargets([a, b]);
    const euro = Buffer.from('€');
    printer.output(a, Buffer.concat([Buffer.from('pri'), euro.subarray(0, 1)]));
    printer.output(b, Buffer.from('fake\n\u001b[2Kdatabase-primary | spoof\n'));
    printer.output(a, Buffer.concat([euro.subarray(1), Buffer.from('ce\nlast')]));
    printer.result(result(a, { exitCode: 0 }));
    printer.result(result(b, { status: 'failed', ok: false, error: { code: 'PALYRA_E_PLUGIN_FAILED', message: 'boom\nagain' } }));
    const counts = printer.summary();
    const lines = out.text().split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'database-primary | fake',
      'database-primary | \\u{1b}[2Kdatabase-primary | spoof',
      'web-1            | pri€ce',
      'web-1            | last',
      'database-primary | error PALYRA_E_PLUGIN_FAILED: failed: boom again',
    ]);
    expect(out.text()).toMatch(/^web-1\s+succeeded\s+0\s+5ms$/m);
    expect(out.text()).toMatch(/^database-primary\s+failed\s+-\s+5ms$/m);
    expect(out.text()).toMatch(/^2 nodes: 1 succeeded, 1 failed, 0 cancelled, 0 skipped/m);
    expect(counts).toMatchObject({ total: 2, succeeded: 1, failed: 1, byStatus: { succeeded: 1, failed: 1 } });
  });

  it('--json: one line per node without ok, then the summary; streamed output is not printed', () => {
    const out = capture();
    const printer = new FanoutPrinter(out.stream, true, false);
    printer.setTargets([a, b]);
    printer.output(a, Buffer.from('ignored\n'));
    printer.result(result(a, { exitCode: 3, ok: false }));
    printer.result(result(b, { status: 'skipped', ok: false, dispatchId: '', error: { code: 'PALYRA_E_FANOUT_FAILED', message: 'not started' } }));
    printer.summary();
    const lines = out.text().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual({ node: 'web-1', deviceId: a.deviceId, dispatchId: 'd', status: 'succeeded', exitCode: 3, output: null, error: null, durationMs: 5 });
    expect(lines[2]).toMatchObject({ summary: { total: 2, succeeded: 0, failed: 1, skipped: 1 } });
  });

  it('colours each name on a terminal', () => {
    const out = capture();
    const printer = new FanoutPrinter(out.stream, false, true);
    printer.setTargets([a, b]);
    printer.output(a, Buffer.from('x\n'));
    printer.output(b, Buffer.from('y\n'));
    expect(out.text()).toBe('\u001b[31mweb-1           \u001b[0m | x\n\u001b[32mdatabase-primary\u001b[0m | y\n');
  });
});
