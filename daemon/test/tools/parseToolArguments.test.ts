import type { NodeInfo__Output } from '@palyra/proto';
import { describe, expect, it } from 'vitest';
import { MAX_SELECTOR_LENGTH } from '@palyra/shared/selectors';
import { MAX_REFERENCE_LENGTH } from '../../src/admin/nodeReference.js';
import { buildToolCatalog } from '../../src/tools/buildToolCatalog.js';
import { parseToolArguments } from '../../src/tools/callTool.js';
import { PROGRESS_LIMITS, ToolProgressReporter } from '../../src/tools/toolProgress.js';
import type { ToolCallProgress } from '../../src/tools/types.js';

function toolOf(id: string, schema: unknown) {
  const node = { deviceId: '01DEVICE', name: 'n', status: 'online', capabilityDetails: [{ id, kind: 'read', description: '', plugin: 'p', inputSchemaJson: JSON.stringify(schema), outputSchemaJson: '{}' }] };
  return buildToolCatalog([node as unknown as NodeInfo__Output]).tools[0]!;
}

const plain = toolOf('fs.read', { type: 'object', properties: { path: { type: 'string' } } });
const renamed = toolOf('k8s.drain', { type: 'object', properties: { node: { type: 'string' } } });
const nested = toolOf('x.any', { type: 'string' });

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('parseToolArguments', () => {
  it('takes the target out and passes the rest as the input', () => {
    expect(parseToolArguments(plain, { node: 'web-1', path: 'a.txt' })).toEqual({ node: 'web-1', input: { path: 'a.txt' } });
    expect(parseToolArguments(plain, { selector: 'env=prod', path: 'a.txt' })).toEqual({ selector: 'env=prod', input: { path: 'a.txt' } });
    expect(parseToolArguments(renamed, { palyra_node: 'web-1', node: 'k8s-node-7' })).toEqual({ node: 'web-1', input: { node: 'k8s-node-7' } });
    expect(parseToolArguments(nested, { node: 'web-1', input: 'hello' })).toEqual({ node: 'web-1', input: 'hello' });
  });

  it('PALYRA_E_TOOL_ARGUMENTS for arguments nested too deeply to serialize, not an internal error', () => {
    let deep: unknown = {};
    for (let i = 0; i < 200_000; i++) deep = { d: deep };
    expect(code(() => parseToolArguments(plain, { node: 'web-1', path: deep }))).toBe('PALYRA_E_TOOL_ARGUMENTS');
  });

  it('PALYRA_E_TOOL_ARGUMENTS: not an object, no target, both targets, bad target values, stray keys beside a nested input', () => {
    for (const args of [[], 'x', 42, {}, { path: 'a' }, { node: 'a', selector: 'b' }, { node: '' }, { node: 5 }, { node: 'x'.repeat(MAX_REFERENCE_LENGTH + 1) }, { selector: '   ' }, { selector: 'x'.repeat(MAX_SELECTOR_LENGTH + 1) }]) {
      expect(code(() => parseToolArguments(plain, args)), JSON.stringify(args).slice(0, 60)).toBe('PALYRA_E_TOOL_ARGUMENTS');
    }
    expect(code(() => parseToolArguments(renamed, { node: 'web-1' }))).toBe('PALYRA_E_TOOL_ARGUMENTS');
    expect(code(() => parseToolArguments(nested, { node: 'web-1', input: 'x', extra: 1 }))).toBe('PALYRA_E_TOOL_ARGUMENTS');
    expect(code(() => parseToolArguments(plain, { node: 'a', blob: 'x'.repeat(1024 * 1024) }))).toBe('PALYRA_E_TOOL_ARGUMENTS');
  });
});

describe('ToolProgressReporter', () => {
  it('numbers notifications strictly increasing; ratio as a percentage; node names prefixed on a fan-out', () => {
    const sent: ToolCallProgress[] = [];
    const reporter = new ToolProgressReporter((p) => sent.push(p));
    reporter.progress(0.5, 'half');
    reporter.progress(0.2, '');
    reporter.output(Buffer.from('line\n'), 'web-1');
    expect(sent).toEqual([
      { progress: 1, message: '50% half' },
      { progress: 2, message: '20%' },
      { progress: 3, message: '[web-1] line\n' },
    ]);
  });

  it('strips escape sequences from output, joins split UTF-8, and bounds each chunk, the total and the count', () => {
    const sent: ToolCallProgress[] = [];
    const reporter = new ToolProgressReporter((p) => sent.push(p));
    const euro = Buffer.from('€');
    reporter.output(Buffer.concat([Buffer.from('\u001b[31mred\u001b[0m '), euro.subarray(0, 1)]));
    reporter.output(euro.subarray(1));
    expect(sent.map((p) => p.message)).toEqual(['[31mred[0m ', '€']);
    reporter.output(Buffer.from('y'.repeat(PROGRESS_LIMITS.maxChunkChars * 2)));
    expect(sent.at(-1)!.message!.length).toBe(PROGRESS_LIMITS.maxChunkChars);
    for (let i = 0; i < 100; i++) reporter.output(Buffer.from('z'.repeat(PROGRESS_LIMITS.maxChunkChars)));
    const outputChars = sent.filter((p) => !p.message!.startsWith('output beyond')).reduce((n, p) => n + p.message!.length, 0);
    expect(outputChars).toBeLessThanOrEqual(PROGRESS_LIMITS.maxOutputChars);
    expect(sent.at(-1)!.message).toMatch(/^output beyond \d+ characters is not forwarded/);
    const count = sent.length;
    reporter.output(Buffer.from('more'));
    expect(sent).toHaveLength(count);
    const many = new ToolProgressReporter((p) => sent.push(p));
    for (let i = 0; i < PROGRESS_LIMITS.maxNotifications + 50; i++) many.progress(i / 2000, '');
    expect(sent.length - count).toBe(PROGRESS_LIMITS.maxNotifications);
  });
});
