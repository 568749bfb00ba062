import { describe, expect, it } from 'vitest';
import { SharedValidators } from '../../src/dispatch/SharedValidators.js';

describe('SharedValidators', () => {
  it('compiles a schema text once while it has users and drops it after the last release', () => {
    const validators = new SharedValidators();
    let compiled = 0;
    const schema = (): Record<string, unknown> => {
      compiled += 1;
      return { type: 'object', required: ['a'] };
    };
    const text = '{"type":"object","required":["a"]}';
    const first = validators.acquire(text, schema, 'test schema');
    const second = validators.acquire(text, schema, 'test schema');
    expect(second).toBe(first);
    expect(compiled).toBe(1);
    expect(first({})).not.toEqual([]);
    validators.release(text);
    expect(validators.size).toBe(1);
    validators.release(text);
    expect(validators.size).toBe(0);
    validators.release(text);
    expect(validators.acquire(text, schema, 'test schema')).not.toBe(first);
    expect(compiled).toBe(2);
  });

  it('reports a schema that does not compile and keeps nothing of it', () => {
    const validators = new SharedValidators();
    expect(() => validators.acquire('x', () => ({ type: 'no-such-type' }), 'the input schema of t.x')).toThrow(
      expect.objectContaining({ code: 'PALYRA_E_SCHEMA_REFUSED' }),
    );
    expect(validators.size).toBe(0);
  });
});
