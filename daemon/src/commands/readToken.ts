import { PalyraError } from '@palyra/shared/errors';

/** A token is ~75 characters; anything much longer on stdin is not one. */
const MAX_TOKEN_INPUT_BYTES = 4096;

/**
 * The API token for `auth login`: from stdin when it is not a terminal (or with
 * --token-stdin), else typed at a hidden prompt. Never from argv, where `ps` and the shell
 * history would show it.
 */
export async function readToken(stdin: NodeJS.ReadableStream & { isTTY?: boolean }, { fromStdin, label }: { fromStdin: boolean; label: string }): Promise<string> {
  let token: string;
  if (!fromStdin && stdin.isTTY === true) {
    const { promptHidden } = await import('@palyra/shared/vault');
    token = await promptHidden(`API token for ${label}: `, stdin as NodeJS.ReadStream);
  } else {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stdin) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += buffer.length;
      if (size > MAX_TOKEN_INPUT_BYTES) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `stdin holds more than ${MAX_TOKEN_INPUT_BYTES} bytes: that is not an API token`);
      chunks.push(buffer);
    }
    token = Buffer.concat(chunks).toString('utf8');
  }
  token = token.trim();
  if (token === '') {
    throw new PalyraError('PALYRA_E_USAGE', 'no API token: pipe it on stdin (e.g. printf %s "$TOKEN" | palyrad auth login ...) or type it at the prompt');
  }
  return token;
}
