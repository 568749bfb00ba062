import type { BrowserRuntime } from '../browser/BrowserRuntime.js';
import { inputSchema, outputSchema } from '../schemas.js';
import type { PageSummary } from '../session/PageSession.js';
import type { PageInput } from '../session/withPage.js';
import { defineBrowserCapability } from './defineBrowserCapability.js';

export type NavigateInput = PageInput;
export type NavigateOutput = PageSummary;

/** `browser.navigate`: opens a URL; returns the final URL (after redirects), the HTTP status and the title. */
export function navigateCapability(runtime: BrowserRuntime) {
  return defineBrowserCapability<NavigateInput, NavigateOutput>(runtime, {
    id: 'browser.navigate',
    description: 'Opens an allowed URL in headless Chromium and returns the final URL after redirects, the HTTP status and the page title.',
    inputSchema: inputSchema(),
    outputSchema: outputSchema(),
    run: (session) => session.summary(),
  });
}
