import { createRequire } from 'node:module';
import type { RE2JS as RE2JSClass } from 're2js';

const require = createRequire(import.meta.url);
let re2js: typeof RE2JSClass | undefined;

/** Loaded on first use, like ajv: most CLI commands never compile a node's schema. */
function engine(): typeof RE2JSClass {
  re2js ??= (require('re2js') as { RE2JS: typeof RE2JSClass }).RE2JS;
  return re2js;
}

/**
 * Limits on one pattern. RE2 matches in time linear in the input, times the size of the
 * compiled program: the program size is what bounds the constant (a 1 MiB input against a
 * 4,096-instruction program stays in the tens of milliseconds).
 */
export const LINEAR_REGEXP_LIMITS = { maxPatternChars: 1024, maxProgramSize: 4096 } as const;

/** What ajv calls `.test()` on: a regex that matches in linear time. */
export interface LinearRegExp {
  test(input: string): boolean;
  /** ajv keys the compiled patterns of a schema by toString(): it must differ per pattern. */
  toString(): string;
}

export class UnsupportedPatternError extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'UnsupportedPatternError';
  }
}

/**
 * Compiles an ECMA-262 `pattern` (JSON Schema's dialect) with RE2, which has no
 * backtracking: no input can make a match take more than linear time. What RE2 cannot run
 * (backreferences, lookaround) is refused with an UnsupportedPatternError, never handed to
 * V8's backtracking engine.
 */
export function compileLinearRegExp(pattern: string): LinearRegExp {
  if (pattern.length > LINEAR_REGEXP_LIMITS.maxPatternChars) {
    throw new UnsupportedPatternError(`longer than ${LINEAR_REGEXP_LIMITS.maxPatternChars} characters`);
  }
  // re2js translates JS escapes (\uXXXX, named groups) to RE2 syntax, but turns a named
  // backreference \k<name> into the literal text "k<name>": refuse it rather than change its meaning.
  if (/(^|[^\\])(\\\\)*\\k/.test(pattern)) {
    throw new UnsupportedPatternError('backreferences (\\k<name>) cannot run in linear time');
  }
  const RE2JS = engine();
  let compiled: RE2JSClass;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(pattern));
  } catch (error) {
    // RE2's own words ("invalid escape sequence: `\1`", "invalid or unsupported Perl syntax: `(?=`").
    throw new UnsupportedPatternError((error as Error).message.replace(/^error parsing regexp: /, ''));
  }
  const size = compiled.programSize();
  if (size > LINEAR_REGEXP_LIMITS.maxProgramSize) {
    throw new UnsupportedPatternError(`compiles to ${size} instructions, more than ${LINEAR_REGEXP_LIMITS.maxProgramSize}`);
  }
  const key = `re2:${JSON.stringify(pattern)}`;
  return { test: (input) => compiled.test(input), toString: () => key };
}

/**
 * The engine in ajv's `code.regExp` shape. `flags` is ajv's "u" or "": RE2 always matches
 * code points, which is what "u" asks for. `code` is only used by ajv's standalone output.
 */
export const linearRegExpEngine = Object.assign((pattern: string, _flags: string): LinearRegExp => compileLinearRegExp(pattern), {
  code: 'require("@palyra/shared/schema").linearRegExpEngine',
});
