/**
 * Freezes `value` and everything reachable from it (own keys, symbols included), and returns
 * it. Stops at what is already frozen, so shared frozen parts are not walked again.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<string | symbol, unknown>)[key]);
  }
  return value;
}
