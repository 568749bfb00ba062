import { describe, expect, it } from 'vitest';
import { displayText, hasUnsafeText } from '../../src/text/index.js';

const UNSAFE = [
  '\u0000', '\u0007', '\u001b', '\u007f', // C0, DEL
  '\u0080', '\u0085', '\u009b', // C1
  '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', // bidi
  '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u2060', '\ufeff', // zero-width and marks
  '\u2028', '\u2029', // line and paragraph separators
  '\ud800', '\udfff', // lone surrogates
];

describe('hasUnsafeText (the pairing-time rule for everything a node sends)', () => {
  it('refuses controls, bidi overrides and isolates, zero-width characters, separators and lone surrogates', () => {
    for (const c of UNSAFE) expect(hasUnsafeText(`node${c}1`), `U+${c.codePointAt(0)!.toString(16)}`).toBe(true);
  });

  it('accepts ordinary names in any script, with spaces, punctuation and emoji', () => {
    for (const name of ['build-01.local', 'Jörg’s Mac', 'サーバー 1', 'مكتب', 'rack 3 / slot 2', 'lab 🧪', 'C:\\build']) {
      expect(hasUnsafeText(name), name).toBe(false);
    }
  });
});

describe('displayText', () => {
  it('escapes every unsafe character visibly and leaves printable text alone', () => {
    for (const c of UNSAFE) {
      const shown = displayText(`a${c}b`);
      expect(shown).toBe(`a\\u{${c.codePointAt(0)!.toString(16)}}b`);
    }
    expect(displayText('Jörg’s Mac サーバー 🧪')).toBe('Jörg’s Mac サーバー 🧪');
  });

  it('escapes non-ASCII spaces, private-use and unassigned code points, which would make names look alike', () => {
    expect(displayText('a\u00a0b\u3000c\u2009d')).toBe('a\\u{a0}b\\u{3000}c\\u{2009}d');
    expect(displayText('x\ue000y\u{10ffff}')).toBe('x\\u{e000}y\\u{10ffff}');
  });

  it('is injective: a name that spells an escape differs from the escaped character', () => {
    expect(displayText('\\u{202e}')).toBe('\\\\u{202e}');
    expect(displayText('\u202e')).not.toBe(displayText('\\u{202e}'));
  });

  it('turns a terminal escape sequence into inert text', () => {
    const shown = displayText('evil\u001b[2J\u001b]0;pwned\u0007');
    // eslint-disable-next-line no-control-regex
    expect(shown).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(shown).toBe('evil\\u{1b}[2J\\u{1b}]0;pwned\\u{7}');
  });
});
