import { describe, expect, it } from 'vitest';
import { PalyraError } from '../../src/errors/index.js';
import { formatSelector, matchesSelector, normalizeSelector, parseSelector, type NodeSelector, type SelectorRequirement, type SelectorSubject } from '../../src/selectors/index.js';

const web: SelectorSubject = { name: 'web-1', deviceId: '01J0000000000000000000000A', platform: 'linux', labels: { env: 'prod', tier: 'web', gpu: 'yes' }, status: 'online', capabilities: ['fs.read', 'shell.exec'] };
const db: SelectorSubject = { name: 'db-1', deviceId: '01J0000000000000000000000B', platform: 'darwin', labels: { env: 'staging' }, status: 'offline', capabilities: [] };

function matching(selector: string): string[] {
  const parsed = parseSelector(selector);
  return [web, db].filter((node) => matchesSelector(parsed, node)).map((node) => node.name);
}

function refusal(selector: string): PalyraError {
  try {
    parseSelector(selector);
  } catch (error) {
    expect(error).toBeInstanceOf(PalyraError);
    return error as PalyraError;
  }
  throw new Error(`parseSelector accepted ${JSON.stringify(selector)}`);
}

/** A small deterministic PRNG (mulberry32): the generated cases are the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('node selectors', () => {
  it('every operator, over labels and the built-in fields, comma = AND', () => {
    expect(matching('')).toEqual(['web-1', 'db-1']);
    expect(matching('env=prod')).toEqual(['web-1']);
    expect(matching('env==staging')).toEqual(['db-1']);
    expect(matching('env!=prod')).toEqual(['db-1']);
    expect(matching('tier!=web')).toEqual(['db-1']);
    expect(matching('env in (prod, staging)')).toEqual(['web-1', 'db-1']);
    expect(matching('env notin (prod)')).toEqual(['db-1']);
    expect(matching('gpu')).toEqual(['web-1']);
    expect(matching('!gpu')).toEqual(['db-1']);
    expect(matching('platform=linux')).toEqual(['web-1']);
    expect(matching('name in (db-1,other)')).toEqual(['db-1']);
    expect(matching(`deviceId=${db.deviceId}`)).toEqual(['db-1']);
    expect(matching(' env = prod , tier=web ')).toEqual(['web-1']);
    expect(matching('env=prod,platform=darwin')).toEqual([]);
    expect(matching('name')).toEqual(['web-1', 'db-1']);
  });

  it('built-in fields status and capability (many-valued)', () => {
    expect(matching('status=online')).toEqual(['web-1']);
    expect(matching('status!=online')).toEqual(['db-1']);
    expect(matching('status in (offline)')).toEqual(['db-1']);
    expect(matching('capability=fs.read')).toEqual(['web-1']);
    expect(matching('capability=fs.write')).toEqual([]);
    expect(matching('capability in (fs.write,shell.exec)')).toEqual(['web-1']);
    expect(matching('capability notin (shell.exec)')).toEqual(['db-1']);
    expect(matching('capability!=fs.read')).toEqual(['db-1']);
    expect(matching('capability')).toEqual(['web-1']);
    expect(matching('!capability')).toEqual(['db-1']);
    expect(matching('env=prod,capability=shell.exec,status=online')).toEqual(['web-1']);
    // A built-in wins over a label of the same name.
    expect(matchesSelector(parseSelector('status=online'), { ...db, labels: { status: 'online' } })).toBe(false);
    // Where the status is unknown (absent), status= fails and status!= holds.
    expect(matchesSelector(parseSelector('status=online'), { name: 'n', deviceId: 'D', platform: 'p' })).toBe(false);
    expect(matchesSelector(parseSelector('status!=online'), { name: 'n', deviceId: 'D', platform: 'p' })).toBe(true);
  });

  it('errors are PALYRA_E_SELECTOR_INVALID pointing at the offending character (column and caret)', () => {
    const cases: [string, number][] = [
      ['env=prod,,tier', 10],
      ['env=prod,', 10],
      ['env in prod', 8],
      ['env in (a,)', 11],
      ['env in (a b)', 11],
      ['env=pr$d', 7],
      ['=prod', 1],
      ['env=prod)', 9],
      ['-env', 1],
      ['env in (a', 10],
    ];
    for (const [selector, column] of cases) {
      const error = refusal(selector);
      expect(error.code, selector).toBe('PALYRA_E_SELECTOR_INVALID');
      expect(error.details?.column, selector).toBe(column);
      const lines = error.message.split('\n');
      expect(lines[0], selector).toContain(`column ${column}`);
      expect(lines[1], selector).toBe(`  ${selector}`);
      expect(lines[2], selector).toBe(`  ${' '.repeat(column - 1)}^`);
    }
    expect(refusal('x'.repeat(5000)).code).toBe('PALYRA_E_SELECTOR_INVALID');
  });

  it('property: any generated selector formats to text that parses back to itself, and matching agrees with a direct evaluation', () => {
    const random = prng(16);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const keys = ['env', 'tier', 'gpu', 'name', 'platform', 'deviceId', 'team.io/owner', 'a-b_c', 'status', 'capability'];
    const values = ['prod', 'staging', 'web', 'linux', 'db-1', 'x.y', 'v1:2', 'web-1', 'online', 'offline', 'fs.read', 'shell.exec'];
    const operators = ['=', '!=', 'in', 'notin', 'exists', '!exists'] as const;
    const subjects: SelectorSubject[] = [web, db, { name: 'x.y', deviceId: 'D', platform: 'linux', labels: { 'team.io/owner': 'v1:2', 'a-b_c': 'prod', status: 'online' }, capabilities: ['fs.read'] }];
    for (let n = 0; n < 500; n++) {
      const requirements: SelectorRequirement[] = Array.from({ length: Math.floor(random() * 4) }, () => {
        const operator = pick(operators);
        const count = operator === 'in' || operator === 'notin' ? 1 + Math.floor(random() * 3) : operator === '=' || operator === '!=' ? 1 : 0;
        return { key: pick(keys), operator, values: Array.from({ length: count }, () => pick(values)) };
      });
      const selector: NodeSelector = { requirements };
      const text = formatSelector(selector);
      // Spacing around the separators does not change the meaning.
      const spaced = text.replaceAll(',', ' , ').replaceAll('(', ' ( ');
      expect(parseSelector(text), text).toEqual(selector);
      expect(parseSelector(spaced), spaced).toEqual(selector);
      expect(normalizeSelector(spaced)).toBe(text);
      for (const subject of subjects) {
        const field = (key: string): string | undefined => (key === 'name' || key === 'deviceId' || key === 'platform' || key === 'status' ? subject[key] : subject.labels?.[key]);
        const expected = requirements.every(({ key, operator, values: vs }) => {
          if (key === 'capability') {
            const has = subject.capabilities ?? [];
            if (operator === 'exists') return has.length > 0;
            if (operator === '!exists') return has.length === 0;
            const any = vs.some((x) => has.includes(x));
            return operator === '=' || operator === 'in' ? any : !any;
          }
          const v = field(key);
          if (operator === 'exists') return v !== undefined;
          if (operator === '!exists') return v === undefined;
          if (operator === '=' || operator === 'in') return v !== undefined && vs.includes(v);
          return v === undefined || !vs.includes(v);
        });
        expect(matchesSelector(selector, subject), `${text} on ${subject.name}`).toBe(expected);
      }
    }
  });

  it('property: a generated string either parses or fails with a column inside it (never another error)', () => {
    const random = prng(17);
    const alphabet = 'ab=!,() in notin.-_/$';
    for (let n = 0; n < 2000; n++) {
      const text = Array.from({ length: Math.floor(random() * 16) }, () => alphabet.charAt(Math.floor(random() * alphabet.length))).join('');
      try {
        const parsed = parseSelector(text);
        expect(parseSelector(formatSelector(parsed))).toEqual(parsed);
      } catch (error) {
        expect(error, text).toBeInstanceOf(PalyraError);
        const column = (error as PalyraError).details?.column as number;
        expect((error as PalyraError).code).toBe('PALYRA_E_SELECTOR_INVALID');
        expect(column, text).toBeGreaterThanOrEqual(1);
        expect(column, text).toBeLessThanOrEqual(text.length + 1);
      }
    }
  });
});
