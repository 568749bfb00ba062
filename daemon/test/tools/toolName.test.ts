import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TOOL_NAME_PATTERN, toolName } from '../../src/tools/toolName.js';

describe('toolName', () => {
  it('replaces dots with underscores: valid in MCP and OpenAI, a function of the id alone', () => {
    expect(toolName('fs.read')).toBe('fs_read');
    expect(toolName('browser.screenshot')).toBe('browser_screenshot');
    expect(toolName('my-plugin.do-thing.now')).toBe('my-plugin_do-thing_now');
    expect(toolName('fs.read')).toBe(toolName('fs.read'));
  });

  it('skips ids the plugin contract refuses (upper case, underscores, no dot, controls, empty)', () => {
    for (const id of ['', 'fs', 'FS.read', 'fs_read.x', 'fs..read', '.fs.read', 'fs.read.', 'fs.re\u202ead', 'fs.read\n', '1fs.read', 'fs.1read']) {
      expect(toolName(id), JSON.stringify(id)).toBeUndefined();
    }
  });

  it('keeps 64 characters; a longer id keeps 52, then __ and 10 hex of its SHA-256', () => {
    const exact = `a.${'b'.repeat(62)}`;
    expect(toolName(exact)).toBe(`a_${'b'.repeat(62)}`);
    const long = `a.${'b'.repeat(63)}`;
    const hash = createHash('sha256').update(long).digest('hex').slice(0, 10);
    expect(toolName(long)).toBe(`a_${'b'.repeat(50)}__${hash}`);
    expect(toolName(long)).toHaveLength(64);
    expect(toolName(long)).toMatch(TOOL_NAME_PATTERN);
  });

  it('never gives two ids one name: long ids sharing their first 52 characters differ by hash, short names never hold __', () => {
    const prefix = `x.${'y'.repeat(60)}`;
    const ids = [`${prefix}.one`, `${prefix}.two`, `${prefix}-a.b`, prefix.slice(0, 64), 'a.b-c', 'a-b.c', 'a.b.c'];
    const names = ids.map((id) => toolName(id));
    expect(new Set(names).size).toBe(ids.length);
    for (const name of names) expect(name).toMatch(TOOL_NAME_PATTERN);
    expect(names.filter((n) => n!.length < 64).every((n) => !n!.includes('__'))).toBe(true);
  });
});
