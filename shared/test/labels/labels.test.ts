import { describe, expect, it } from 'vitest';
import { MAX_LABELS, mergeLabels, parseLabelArguments, validateLabels } from '../../src/labels/index.js';

const refused = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
};

describe('label validation (Kubernetes syntax and limits)', () => {
  it.each([
    ['role', 'web'],
    ['env', ''],
    ['example.com/role', 'a.b_c-d'],
    ['a', 'Z'],
    [`${'a'.repeat(63)}`, 'v'.repeat(63)],
    [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}/${'n'.repeat(63)}`, 'x'],
  ])('accepts %s=%s', (key, value) => {
    expect(validateLabels({ [key]: value })).toEqual({ [key]: value });
  });

  it.each([
    ['', 'v', 'empty'],
    ['-role', 'v', 'name'],
    ['role-', 'v', 'name'],
    ['ro le', 'v', 'name'],
    ['a'.repeat(64), 'v', 'at most 63'],
    ['Example.com/role', 'v', 'DNS subdomain'],
    ['/role', 'v', 'prefix'],
    ['example.com/', 'v', 'name'],
    [`${'a'.repeat(254)}/role`, 'v', 'at most 253'],
    ['role', 'v'.repeat(64), 'at most 63'],
    ['role', '-web', 'value'],
    ['role', 'w\u001b[31m', 'value'],
    ['__proto__', 'x', 'name'],
  ])('refuses %j=%j with PALYRA_E_LABEL_INVALID naming the key', (key, value, why) => {
    const error = refused(() => validateLabels(JSON.parse(`{${JSON.stringify(key)}:${JSON.stringify(value)}}`) as Record<string, string>));
    expect(error).toMatchObject({ code: 'PALYRA_E_LABEL_INVALID', details: { key: key.slice(0, 317) } });
    expect((error as Error).message).toContain(why);
    // A key from a node is shown printable only.
    expect([...(error as Error).message].every((c) => c >= ' ' && c <= '~' || c === '…')).toBe(true);
  });

  it(`allows ${MAX_LABELS} labels and refuses one more`, () => {
    const labels = Object.fromEntries(Array.from({ length: MAX_LABELS }, (_, i) => [`k${i}`, `v${i}`]));
    expect(Object.keys(validateLabels(labels))).toHaveLength(MAX_LABELS);
    expect(refused(() => validateLabels({ ...labels, extra: 'x' }))).toMatchObject({ code: 'PALYRA_E_LABEL_INVALID' });
  });

  it('parses k=v and k- arguments, refusing a key both set and removed', () => {
    expect(parseLabelArguments(['role=web', 'env=', 'canary-'])).toEqual({ set: { role: 'web', env: '' }, remove: ['canary'] });
    expect(refused(() => parseLabelArguments(['role']))).toMatchObject({ code: 'PALYRA_E_LABEL_INVALID' });
    expect(refused(() => parseLabelArguments(['role=a', 'role-']))).toMatchObject({ code: 'PALYRA_E_LABEL_INVALID', details: { key: 'role' } });
    expect(refused(() => parseLabelArguments(['bad key=x']))).toMatchObject({ code: 'PALYRA_E_LABEL_INVALID', details: { key: 'bad key' } });
  });

  it('merges operator labels over the node labels', () => {
    expect(mergeLabels({ role: 'web', env: 'dev' }, { env: 'prod' })).toEqual({ role: 'web', env: 'prod' });
  });
});
