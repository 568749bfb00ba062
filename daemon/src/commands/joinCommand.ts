import { PalyraError } from '@palyra/shared/errors';
import { quoteShell } from '@palyra/shared/text';

export interface JoinCommandInput {
  method: 'pin' | 'qr';
  /** The PIN (method pin). */
  code: string;
  /** The palyra://pair URI (method qr). */
  uri: string;
  /** HOST:PORT the node dials; for a QR code only when it must override the one inside the URI. */
  daemon: string | undefined;
  /** What `npm install -g` installs when palyra-node is missing. */
  agentPackage: string;
}

/**
 * The one line an operator pastes on the remote host: install the agent when `palyra-node`
 * is not on PATH, then join. POSIX sh (`a || b && c` runs c after a, or after b succeeded).
 * The code goes in PALYRA_PAIRING_CODE, not in argv, where every local user could read it
 * (`ps`) for as long as the join waits for approval.
 */
export function joinCommand(input: JoinCommandInput): string {
  // Pasted into a shell on another host: only printable ASCII, so what the operator sees is
  // exactly what runs (no control sequence, no look-alike character from a remote daemon).
  for (const [what, value] of [['the agent package', input.agentPackage], ['the code', input.method === 'pin' ? input.code : input.uri], ['the daemon address', input.daemon ?? '']] as const) {
    if (!/^[\x20-\x7e]*$/.test(value)) {
      throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `${what} holds characters a shell command line should not carry: ${JSON.stringify(value)}`);
    }
  }
  const install = `command -v palyra-node >/dev/null 2>&1 || npm install -g ${quoteShell(input.agentPackage)}`;
  const code = input.method === 'pin' ? input.code : input.uri;
  const daemon = input.daemon === undefined ? '' : ` --daemon ${quoteShell(input.daemon)}`;
  return `${install} && PALYRA_PAIRING_CODE=${quoteShell(code)} palyra-node join${daemon}`;
}

/**
 * What the operator chose for the command (--agent-package or PALYRA_AGENT_PACKAGE), checked
 * before a code is minted: a refusal after minting would retire the unused PIN a node may be
 * joining with, for nothing. `source` names the flag or variable in the message.
 */
export function checkAgentPackage(spec: string, source: string): void {
  if (!/^[\x20-\x7e]+$/.test(spec)) {
    throw new PalyraError('PALYRA_E_USAGE', `${source} holds characters a shell command line should not carry: ${JSON.stringify(spec)}`);
  }
  // `npm install -g --registry=...` would take it as an option, not as what to install.
  if (spec.startsWith('-')) {
    throw new PalyraError('PALYRA_E_USAGE', `${source} must name a package, a tarball or a URL, not an npm option: ${JSON.stringify(spec)}`);
  }
}

/**
 * Why a remote host cannot dial `host`, or undefined: a loopback address (the daemon listens
 * on loopback only, or --address named one) reaches the remote host itself, and a wildcard
 * is no address to dial.
 */
export function unreachableHost(host: string): string | undefined {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost') || /^127\./.test(h) || /^::ffff:127\./.test(h) || h === '::1') return 'a loopback address';
  if (h === '0.0.0.0' || h === '::' || h === '') return 'a wildcard address';
  return undefined;
}

/** The registry package of the agent in step with this daemon (release versions move together). */
export function defaultAgentPackage(daemonVersion: string): string {
  return `@palyra/agent@${daemonVersion}`;
}
