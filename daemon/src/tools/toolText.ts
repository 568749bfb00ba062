/**
 * Node-supplied text (descriptions, plugin names, error messages) as the tools layer passes it
 * to an AI agent: controls, format characters (bidi overrides, zero-width), surrogates and
 * line/paragraph separators removed (the same classes peerText.ts refuses at registration: a
 * node registered before that rule, or a result's error message, may still hold them), and
 * every other character Unicode says to render as nothing (Default_Ignorable_Code_Point:
 * variation selectors, Hangul fillers, tags), in which a node could hide words a person reading
 * the listing does not see but a model does; runs of whitespace made one space, clipped to
 * `max` characters with an ellipsis.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/gu;

export function cleanText(text: string, max: number): string {
  // Clip a bounded slice first: a hostile megabyte is never run through the regexes whole.
  const cleaned = text.slice(0, max * 2 + 16).replace(UNSAFE, ' ').replace(/\s+/gu, ' ').trim();
  return clip(cleaned, max);
}

/** `text` cut to at most `max` characters (code points kept whole), `…` marking the cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  // Never leave half a surrogate pair.
  if (/[\uD800-\uDBFF]$/u.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** Like UNSAFE, but keeps line feeds and tabs: streamed output is lines of text. */
const UNSAFE_IN_OUTPUT = /(?![\n\t])[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/gu;

/** A node's streamed output as text an agent may read: escape sequences and invisible characters removed. */
export function cleanOutput(text: string): string {
  return text.replace(UNSAFE_IN_OUTPUT, '');
}
