import type { PairingMethod } from '../registry/types.js';

/**
 * Which confirmed pairing requests the daemon approves without an operator (`--auto-approve`).
 *
 * - `off` (default): every request waits for `palyrad nodes approve` or the approvals TUI.
 * - `qr`: requests made with a QR code are approved at once; PIN requests still wait. A QR
 *   code carries a 128-bit single-use token and the CA fingerprint: whoever holds it was
 *   handed it on purpose (a provisioning script, an image), which is what automation needs.
 * - `all`: PIN requests too. A six-digit PIN is a much weaker ticket: it is read aloud, shown
 *   on a screen, typed into a chat, and anyone who sees it can race the intended node to the
 *   daemon; an online guesser also gets 5 tries at one in a million per PIN minted. The
 *   operator comparing the SAS is what catches both, and `all` removes that check. Meant for
 *   test rigs and benchmarks on a network the operator controls.
 */
export const AUTO_APPROVE_MODES = ['off', 'qr', 'all'] as const;
export type AutoApproveMode = (typeof AUTO_APPROVE_MODES)[number];

export function autoApproves(mode: AutoApproveMode, method: PairingMethod): boolean {
  return mode === 'all' || (mode === 'qr' && method === 'qr');
}
