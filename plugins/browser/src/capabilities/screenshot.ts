import type { BrowserRuntime } from '../browser/BrowserRuntime.js';
import { encodeBinary, pngSize } from '../encoding.js';
import { inputSchema, outputSchema } from '../schemas.js';
import type { PageSummary } from '../session/PageSession.js';
import type { PageInput } from '../session/withPage.js';
import { defineBrowserCapability } from './defineBrowserCapability.js';

export interface ScreenshotInput extends PageInput {
  /** The whole scrollable page instead of the viewport. */
  fullPage?: boolean;
}

export interface ScreenshotOutput extends PageSummary {
  mimeType: 'image/png';
  /** The PNG, base64. */
  data: string;
  /** Size of the PNG in bytes (before base64). */
  bytes: number;
  width: number;
  height: number;
}

/** `browser.screenshot`: a PNG of the viewport or of the full page, base64. */
export function screenshotCapability(runtime: BrowserRuntime) {
  return defineBrowserCapability<ScreenshotInput, ScreenshotOutput>(runtime, {
    id: 'browser.screenshot',
    description: 'Opens an allowed URL and returns a PNG screenshot (viewport or full page) as base64, with its size in pixels.',
    inputSchema: inputSchema({ fullPage: { type: 'boolean' } }),
    outputSchema: outputSchema(
      {
        mimeType: { const: 'image/png' },
        data: { type: 'string', contentEncoding: 'base64' },
        bytes: { type: 'integer', minimum: 0 },
        width: { type: 'integer', minimum: 0 },
        height: { type: 'integer', minimum: 0 },
      },
      ['mimeType', 'data', 'bytes', 'width', 'height'],
    ),
    async run(session, input, grants) {
      const png = await session.act('taking the screenshot', (timeout) =>
        session.page.screenshot({ type: 'png', fullPage: input.fullPage === true, animations: 'disabled', timeout }),
      );
      const encoded = encodeBinary(png, grants.maxOutputBytes, 'screenshot');
      return { ...(await session.summary()), mimeType: 'image/png' as const, ...encoded, ...pngSize(png) };
    },
  });
}
