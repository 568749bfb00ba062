import { PLUGIN_API_VERSION, definePlugin, type PluginDefinition } from '@palyra/shared/plugins';
import { BrowserRuntime, type BrowserRuntimeOptions } from './browser/BrowserRuntime.js';
import { clickCapability } from './capabilities/click.js';
import { fillCapability } from './capabilities/fill.js';
import { navigateCapability } from './capabilities/navigate.js';
import { pdfCapability } from './capabilities/pdf.js';
import { screenshotCapability } from './capabilities/screenshot.js';
import { textCapability } from './capabilities/text.js';
import { BROWSER_GRANTS_SCHEMA, resolveGrants, type BrowserGrants } from './grants.js';
import { reviewGrants } from './reviewGrants.js';

/**
 * A browser plugin with its own runtime (browser process, policy proxy, page slots). The
 * agent uses the default export; tests make their own to control the browser's environment.
 */
export function createBrowserPlugin(options: BrowserRuntimeOptions = {}): PluginDefinition<BrowserGrants> {
  const runtime = new BrowserRuntime(options);
  return definePlugin<BrowserGrants>({
    name: 'browser',
    version: '0.1.0',
    apiVersion: PLUGIN_API_VERSION,
    description: 'Drives headless Chromium on the node: navigate, text, screenshot, click, fill, pdf; every request checked against granted URL patterns.',
    grantsSchema: BROWSER_GRANTS_SCHEMA,
    capabilities: [
      navigateCapability(runtime),
      textCapability(runtime),
      screenshotCapability(runtime),
      clickCapability(runtime),
      fillCapability(runtime),
      pdfCapability(runtime),
    ],
    async setup(ctx) {
      // Fails setup on grants the host's schema check cannot catch (patterns, relative paths).
      // The browser itself starts on the first dispatch, not here.
      const grants = resolveGrants(ctx.grants);
      runtime.logger = ctx.logger;
      runtime.use(grants);
      for (const note of await reviewGrants(grants, options.env ?? process.env, options.chromiumLocations)) ctx.logger.warn(note);
    },
    async dispose() {
      await runtime.dispose();
    },
  });
}

/** The built-in `browser` plugin. See docs/plugins/browser.md. */
const browserPlugin = createBrowserPlugin();

export default browserPlugin;
export { BrowserRuntime, type BrowserRuntimeOptions } from './browser/BrowserRuntime.js';
export { CHROMIUM_LOCATIONS, findChromium } from './browser/findChromium.js';
export {
  BROWSER_GRANTS_SCHEMA,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_MAX_PAGES,
  DEFAULT_TIMEOUT_MS,
  resolveGrants,
  type BrowserGrants,
  type ResolvedGrants,
} from './grants.js';
export { UrlPolicy, type Verdict } from './policy/UrlPolicy.js';
export { parseUrlPattern, type UrlPattern } from './policy/urlPattern.js';
export { parseHostRule, type HostRule } from './policy/hostRule.js';
export type { HostLookup } from './policy/resolveHost.js';
export type { BlockedRequest, PageSummary, WaitUntil } from './session/PageSession.js';
export type { PageInput } from './session/withPage.js';
export type { NavigateInput, NavigateOutput } from './capabilities/navigate.js';
export type { TextInput, TextOutput } from './capabilities/text.js';
export type { ScreenshotInput, ScreenshotOutput } from './capabilities/screenshot.js';
export type { ClickInput, ClickOutput } from './capabilities/click.js';
export type { FillField, FillInput, FillOutput } from './capabilities/fill.js';
export type { PdfInput, PdfOutput } from './capabilities/pdf.js';
