import type { BrowserRuntime } from '../browser/BrowserRuntime.js';
import { capUtf8 } from '../encoding.js';
import { SELECTOR_SCHEMA, inputSchema, outputSchema } from '../schemas.js';
import type { PageSummary } from '../session/PageSession.js';
import type { PageInput } from '../session/withPage.js';
import { defineBrowserCapability } from './defineBrowserCapability.js';

export interface TextInput extends PageInput {
  /** Only the text of the elements this selector matches (waited for). Absent: the whole page. */
  selector?: string;
}

export interface TextOutput extends PageSummary {
  /** The rendered text (innerText); with a selector, each match's text on its own line. */
  text: string;
  /** Elements the selector matched; null without a selector. */
  matches: number | null;
  /** The text went over grants.maxOutputBytes and was cut. */
  truncated: boolean;
}

/** `browser.text`: the page's rendered text, or that of the elements a selector matches. */
export function textCapability(runtime: BrowserRuntime) {
  return defineBrowserCapability<TextInput, TextOutput>(runtime, {
    id: 'browser.text',
    description: "Opens an allowed URL and returns the page's rendered text, or the text of the elements a CSS selector matches.",
    inputSchema: inputSchema({ selector: SELECTOR_SCHEMA }),
    outputSchema: outputSchema(
      { text: { type: 'string' }, matches: { type: ['integer', 'null'], minimum: 0 }, truncated: { type: 'boolean' } },
      ['text', 'matches', 'truncated'],
    ),
    async run(session, input, grants) {
      const { page } = session;
      let text: string;
      let matches: number | null = null;
      if (input.selector === undefined) {
        text = await session.act('reading the page text', (timeout) => page.locator('body').innerText({ timeout }));
      } else {
        const locator = page.locator(input.selector);
        await session.act(`waiting for ${JSON.stringify(input.selector)}`, (timeout) => locator.first().waitFor({ state: 'attached', timeout }));
        const texts = await locator.allInnerTexts();
        matches = texts.length;
        text = texts.join('\n');
      }
      return { ...(await session.summary()), ...capUtf8(text, grants.maxOutputBytes), matches };
    },
  });
}
