import type { PalyraError } from '../errors/index.js';

export interface SecretInputOptions {
  stdin: NodeJS.ReadStream | (NodeJS.ReadableStream & { isTTY?: boolean });
  /** Where the hidden prompt is written (default stderr: stdout may be a pipe of data). */
  stderr?: NodeJS.WriteStream;
  /** The prompt shown on a terminal. */
  question: string;
  /** Read stdin even when it is a terminal (e.g. --token-stdin). */
  fromStdin?: boolean;
  /** Piped input above this many bytes is refused with `tooLarge` (a secret is small; a stream may be endless). */
  maxBytes: number;
  tooLarge: () => PalyraError;
  /** Stop at the first newline (a pairing code is one line); without it, read to the end. */
  firstLine?: boolean;
}

/**
 * A secret from the user, never from argv (where `ps` and the shell history show it): typed at
 * a hidden prompt when stdin is a terminal, else read from stdin, bounded. The text is
 * returned as typed or piped; each caller trims or decodes it as its format needs.
 */
export async function readSecretInput(options: SecretInputOptions): Promise<{ text: string; bytes: Buffer; prompted: boolean }> {
  const { stdin } = options;
  if (options.fromStdin !== true && stdin.isTTY === true) {
    // The vault's passphrase prompt: raw mode, nothing echoed, Ctrl-C is PALYRA_E_CANCELLED.
    const { promptHidden } = await import('../vault/keySources.js');
    const text = await promptHidden(options.question, stdin as NodeJS.ReadStream, options.stderr);
    return { text, bytes: Buffer.from(text, 'utf8'), prompted: true };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    const newline = options.firstLine === true ? buffer.indexOf(0x0a) : -1;
    const kept = newline === -1 ? buffer : buffer.subarray(0, newline);
    size += kept.length;
    if (size > options.maxBytes) throw options.tooLarge();
    chunks.push(kept);
    if (newline !== -1) break;
  }
  const bytes = Buffer.concat(chunks);
  return { text: bytes.toString('utf8'), bytes, prompted: false };
}
