/**
 * Text a peer (a node) sends and an operator later reads: device names, platforms, hostnames,
 * versions, capability ids and descriptions, plugin names. One rule for what a peer may send,
 * and one escaper for printing what is already stored.
 */

/**
 * Characters a peer's text may not hold: controls (C0, DEL, C1: escape sequences rewrite a
 * terminal), format characters (bidi overrides and isolates U+202A-202E U+2066-2069,
 * zero-width U+200B-200F U+2060 U+FEFF: they make one name look like another), lone
 * surrogates (they become U+FFFD when encoded, so two strings would encode alike), and line
 * and paragraph separators (a line break in disguise).
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** Does `text` hold a character a peer may not send (see UNSAFE)? */
export function hasUnsafeText(text: string): boolean {
  return UNSAFE.test(text);
}

/**
 * What `displayText` escapes: all of UNSAFE, plus private-use and unassigned code points and
 * spaces other than U+0020 (a no-break or ideographic space makes two names look equal), and
 * the backslash itself, so that the escaped form of two different strings always differs.
 */
const NOT_DISPLAYED = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Co}\p{Cn}\\]|(?! )\p{Zs}/gu;

/**
 * Peer-supplied text made safe to print in a terminal: every character above becomes a
 * visible escape (`\u{202e}`, `\\`), everything else is printed as is. Text mode only: JSON
 * output keeps the real value (JSON escapes controls itself).
 */
export function displayText(text: string): string {
  return text.replace(NOT_DISPLAYED, (c) => (c === '\\' ? '\\\\' : `\\u{${c.codePointAt(0)!.toString(16)}}`));
}
