import { PalyraError } from '@palyra/shared/errors';
import type { RateLimitedLevel, RateLimitedLog } from '@palyra/shared/logging';
import { displayText } from '@palyra/shared/text';

/**
 * Logs a QUIC node stream the daemon refused (error frame: info) or reset (warn), with its
 * code, through the rate limiter keyed by outcome and code (a fixed set): a flood of bad
 * streams costs one line per code and a summary a minute. A stream the node ended itself
 * (its reset or close reached us as a stream code) is debug: nothing went wrong here. A
 * failure without a PALYRA_E_* code of ours (PALYRA_E_INTERNAL) is a daemon bug: error.
 */
export function noteStreamFailure(peerLog: RateLimitedLog | undefined, outcome: 'refused' | 'reset', error: unknown, fields: Record<string, unknown>): void {
  if (peerLog === undefined) return;
  const failure = PalyraError.from(error);
  const byPeer = failure.details?.streamCode !== undefined;
  const level: RateLimitedLevel = outcome === 'refused' ? 'info' : byPeer ? 'debug' : failure.code === 'PALYRA_E_INTERNAL' ? 'error' : 'warn';
  const message = byPeer ? 'QUIC node stream ended by the node' : outcome === 'refused' ? 'QUIC node stream request refused' : 'QUIC node stream reset';
  // The message may quote what the node sent: escaped, and cut short.
  peerLog.note(level, `quic stream ${outcome} ${failure.code}`, { ...fields, code: failure.code, error: displayText(failure.message.slice(0, 200)) }, message);
}
