import { PalyraError } from '@palyra/shared/errors';
import { truncate } from './policy/UrlPolicy.js';

/** A refusal by the URL policy: names the URL and why, and points at the grants. */
export function denied(url: string, reason: string, what = 'URL'): PalyraError {
  return new PalyraError('PALYRA_E_CAPABILITY_DENIED', `${what} ${truncate(url, 500)} refused: ${reason} (grants.allowUrls, denyUrls, denyHosts; see docs/plugins/browser.md)`, {
    details: { url: truncate(url, 2048), reason },
  });
}

export function isTimeoutError(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}

/** Playwright's message without its call log, on one line. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? '').replace(/^[a-zA-Z]+\.[a-zA-Z]+: /, '');
}

/** The Chromium network error in a Playwright message (`net::ERR_NAME_NOT_RESOLVED`), if any. */
export function netError(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  return /net::ERR_[A-Z_]+/.exec(message)?.[0];
}

/** Target, page, context or browser closed under an operation. */
export function isClosedError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /has been closed|Target closed|Browser closed|crashed/i.test(message);
}
