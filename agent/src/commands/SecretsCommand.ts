import { PalyraError } from '@palyra/shared/errors';
import type { SecretStore } from '@palyra/shared/vault';
import { AgentCommand } from './AgentCommand.js';

/** Base of `palyra-node secrets ...`: the node's scoped secrets, in its vault. */
export abstract class SecretsCommand extends AgentCommand {
  protected async secretStore(): Promise<SecretStore> {
    return (await this.identityStore()).secretStore();
  }

  /**
   * The value to store, from stdin only (never argv, where other users and shell history see
   * it): piped bytes with one trailing newline removed, or typed at a hidden prompt.
   */
  protected async readValue(label: string): Promise<string> {
    const [{ MAX_SECRET_BYTES }, { readSecretInput }] = await Promise.all([import('@palyra/shared/vault'), import('@palyra/shared/cli')]);
    const input = await readSecretInput({
      stdin: process.stdin,
      question: `value of ${label}: `,
      // Room for the trailing newline removed below.
      maxBytes: MAX_SECRET_BYTES + 2,
      tooLarge: () => new PalyraError('PALYRA_E_LIMIT_EXCEEDED', `the value on stdin is larger than ${MAX_SECRET_BYTES} bytes`),
    });
    let value = input.text;
    if (!input.prompted) {
      try {
        value = new TextDecoder('utf-8', { fatal: true }).decode(input.bytes);
      } catch {
        throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'the value on stdin is not UTF-8 text');
      }
      value = value.replace(/\r?\n$/, '');
    }
    if (value === '') throw new PalyraError('PALYRA_E_USAGE', `no value for ${label}: pipe it on stdin, e.g. printf %s "$TOKEN" | palyra-node secrets set <scope> <key>`);
    return value;
  }
}
