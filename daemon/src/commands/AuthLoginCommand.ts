import { Command, Option } from 'clipanion';
import { PalyraCommand } from '@palyra/shared/cli';
import { PalyraError } from '@palyra/shared/errors';
import { readToken } from './readToken.js';

export class AuthLoginCommand extends PalyraCommand {
  static override paths = [['auth', 'login']];
  static override usage = Command.Usage({
    description: 'Save an operator profile: a remote daemon, its pinned CA and an API token',
    details: `
      Connects to the daemon's admin endpoint (palyrad start --admin-listen), finds its CA by
      the fingerprint given (the ca= of the daemon's ready line, or palyrad status on its host)
      and verifies the daemon's certificate against it before the token is sent; then asks the
      daemon who the token is (WhoAmI). Only a token the daemon accepts is saved: the profile
      in $XDG_CONFIG_HOME/palyra/profiles.json (default ~/.config/palyra), the token in the OS
      vault (service palyra-operator, account the profile name), or without one in the
      encrypted vault file there (PALYRA_VAULT_PASSPHRASE or a prompt; --vault file keeps a
      0600 key file instead).

      The token is read from stdin when stdin is not a terminal (or with --token-stdin), else
      at a hidden prompt; never from the command line. Then use --profile NAME (or
      PALYRA_PROFILE=NAME) with any palyrad command.
    `,
    examples: [
      ['Log in, typing the token', 'palyrad auth login --profile prod --daemon 10.0.0.5:7444 --ca-fingerprint 3f2a...c9'],
      ['Log in from a script', 'printf %s "$TOKEN" | palyrad auth login --profile ci --daemon 10.0.0.5:7444 --ca-fingerprint 3f2a...c9'],
    ],
  });

  profile = Option.String('--profile', { required: true, description: 'Name of the profile to save (a-z, 0-9, ".", "_", "-")' });
  daemon = Option.String('--daemon', { required: true, description: "HOST:PORT of the daemon's remote admin endpoint (its ready line's admin-tls=)" });
  caFingerprint = Option.String('--ca-fingerprint', { description: "SHA-256 of the daemon's CA certificate (its ready line's ca=; env PALYRA_CA_FINGERPRINT)" });
  tokenStdin = Option.Boolean('--token-stdin', false, { description: 'Read the token from stdin even when it is a terminal' });
  vault = Option.String('--vault', { description: 'Where the token goes: auto (default: the OS vault, else the encrypted file), os, or file (env PALYRA_VAULT)' });
  vaultKeyFile = Option.String('--vault-key-file', { description: 'Key file of the encrypted vault file (env PALYRA_VAULT_KEY_FILE)' });
  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    const [{ checkProfileName }, { resolveVaultSettings }, { ControlClient }, { operatorConfigDir }, { OperatorTokenVault }, { ProfileStore }] = await Promise.all([
      import('../profiles/profileNames.js'),
      import('@palyra/shared/vault'),
      import('../client/ControlClient.js'),
      import('../profiles/operatorConfigDir.js'),
      import('../profiles/OperatorTokenVault.js'),
      import('../profiles/ProfileStore.js'),
    ]);
    const name = checkProfileName(this.profile);
    const caFingerprint = this.caFingerprint ?? process.env.PALYRA_CA_FINGERPRINT;
    if (caFingerprint === undefined || caFingerprint === '') {
      throw new PalyraError('PALYRA_E_USAGE', "--ca-fingerprint FP is required: the daemon's CA fingerprint, the ca= of its ready line (palyrad status on its host)");
    }
    const { parseSha256Fingerprint } = await import('@palyra/shared/x509/pem');
    const pinned = parseSha256Fingerprint(caFingerprint, '--ca-fingerprint');
    const settings = resolveVaultSettings({ vault: this.vault, vaultKeyFile: this.vaultKeyFile });
    const token = await readToken(this.context.stdin as NodeJS.ReadStream, { fromStdin: this.tokenStdin, label: this.daemon });

    const client = await ControlClient.connectRemote({ address: this.daemon, caFingerprint: pinned, token });
    let who;
    try {
      who = await client.whoAmI();
    } catch (error) {
      if (error instanceof PalyraError && error.code === 'PALYRA_E_UNAUTHENTICATED') {
        throw new PalyraError('PALYRA_E_UNAUTHENTICATED', `the daemon at ${this.daemon} refused the token (${error.message}); nothing was saved`, { cause: error });
      }
      throw error;
    } finally {
      client.close();
    }
    const caCertPem = client.caCertPem;
    if (who.kind !== 'token' || caCertPem === undefined) {
      throw new PalyraError('PALYRA_E_INTERNAL', `the daemon at ${this.daemon} did not take the call as a token's (${who.kind}); nothing was saved`);
    }

    const configDir = operatorConfigDir();
    const store = new ProfileStore(configDir);
    const vault = new OperatorTokenVault({ configDir, ...settings });
    const previous = (await store.list()).get(name);
    const tokenStore = await vault.save(name, token);
    await store.put(name, {
      daemon: this.daemon,
      caFingerprint: pinned,
      caCertPem,
      createdAt: new Date().toISOString(),
      tokenId: who.tokenId,
      role: who.role,
      tokenStore,
    });
    // A new login of a profile whose token was in the other store: do not leave the old one behind.
    if (previous !== undefined && previous.tokenStore !== tokenStore) await vault.remove(name, previous.tokenStore).catch(() => undefined);

    const document = { profile: name, daemon: this.daemon, caFingerprint: pinned, tokenId: who.tokenId, tokenName: who.tokenName, role: who.role, expiresAt: who.expiresAt || null, tokenStore };
    if (this.json) {
      this.printJson(document);
      return 0;
    }
    this.print(`logged in to ${this.daemon} as token ${who.tokenName || who.tokenId} (${who.tokenId}), role ${who.role}${who.expiresAt ? `, expires ${who.expiresAt}` : ''}`);
    this.print(`profile ${name} saved in ${store.file}; the token is in ${tokenStore === 'os' ? 'the OS vault' : 'the encrypted vault file'}`);
    this.print(`use it with: palyrad status --profile ${name}   (or PALYRA_PROFILE=${name})`);
    return 0;
  }
}
