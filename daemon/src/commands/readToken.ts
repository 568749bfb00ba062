import { PalyraError } from '@palyra/shared/errors';

/** A token is ~75 characters; anything much longer on stdin is not one. */
const MAX_TOKEN_INPUT_BYTES = 4096;

/**
 * The API token for `auth login`: from stdin when it is not a terminal (or with
 * --token-stdin), else typed at a hidden prompt. Never from argv, where `ps` and the shell
 * history would show it.
 */
export async function readToken(stdin: NodeJS.ReadableStream & { isTTY?: boolean }, { fromStdin, label }: { fromStdin: boolean; label: string }): Promise<string> {
  const { readSecretInput } = await import('@palyra/shared/cli');
  const token = (
    await readSecretInput({
      stdin,
      question: `API token for ${label}: `,
      fromStdin,
      maxBytes: MAX_TOKEN_INPUT_BYTES,
      tooLarge: () => new PalyraError('PALYRA_E_INVALID_ARGUMENT', `stdin holds more than ${MAX_TOKEN_INPUT_BYTES} bytes: that is not an API token`),
    })
  ).text.trim();
  if (token === '') {
    throw new PalyraError('PALYRA_E_USAGE', 'no API token: pipe it on stdin (e.g. printf %s "$TOKEN" | palyrad auth login ...) or type it at the prompt');
  }
  return token;
}
