import type { BrowserRuntime } from '../browser/BrowserRuntime.js';
import { SELECTOR_SCHEMA, inputSchema, outputSchema } from '../schemas.js';
import type { PageSummary } from '../session/PageSession.js';
import type { PageInput } from '../session/withPage.js';
import { defineBrowserCapability } from './defineBrowserCapability.js';

export interface ClickInput extends PageInput {
  /** The element to click; must match exactly one (waited for, visible and enabled). */
  selector: string;
}

export type ClickOutput = PageSummary;

/** `browser.click`: opens a page, clicks one element, waits for what the click loads. */
export function clickCapability(runtime: BrowserRuntime) {
  return defineBrowserCapability<ClickInput, ClickOutput>(runtime, {
    id: 'browser.click',
    description:
      'Opens an allowed URL, clicks the one element a CSS selector matches, waits for any navigation it starts, and returns the resulting URL, status and title.',
    inputSchema: inputSchema({ selector: SELECTOR_SCHEMA }, ['selector']),
    outputSchema: outputSchema(),
    async run(session, input) {
      await session.act(`clicking ${JSON.stringify(input.selector)}`, (timeout) => session.page.locator(input.selector).click({ timeout }), input.waitUntil ?? 'load');
      return session.summary();
    },
  });
}
