import { Command, Option } from 'clipanion';
import { parseDuration } from '@palyra/shared/config';
import { PalyraError } from '@palyra/shared/errors';
import { DaemonCommand } from './DaemonCommand.js';
import { parseRate, tokenJson } from './tokenOutput.js';

export class TokensCreateCommand extends DaemonCommand {
  static override paths = [['tokens', 'create']];
  static override usage = Command.Usage({
    description: 'Mint an API token for the remote admin endpoint; it is printed once',
    details: `
      A token is \`pyt_<id>_<secret>\`: the daemon keeps only a hash of the secret, so the token
      is printed this once (on stdout; save it now). Callers send it as \`authorization: Bearer
      <token>\` to the endpoint of \`palyrad start --admin-listen\`.

      --role is owner, admin, operator or viewer (docs/security.md lists what each may do);
      --permission narrows the role to fewer permissions, --scope to some capabilities (fs.read,
      or fs.* for every fs capability), --nodes to the nodes a selector matches. A token expires
      after --ttl (default 90d; \`--ttl never\` for no expiry) and may make --rate calls (default
      50/s, bursts of twice the rate). A token never mints one with more rights than its own.
    `,
    examples: [
      ['A CI token that invokes fs.read and fs.list on production nodes for 30 days', 'palyrad tokens create --name ci --role operator --ttl 30d --scope fs.read,fs.list --nodes env=prod'],
      ['A read-only dashboard token, as JSON', 'palyrad tokens create --name dashboard --role viewer --rate 5/s --json'],
    ],
  });

  name = Option.String('--name', { required: true, description: 'What the token is for (shown in tokens list and the audit log)' });
  role = Option.String('--role', { required: true, description: 'owner, admin, operator or viewer' });
  ttl = Option.String('--ttl', { description: 'Lifetime, e.g. 30d or 12h, or never (default 90d)' });
  scope = Option.Array('--scope', { description: 'Capabilities the token may invoke: ids or prefixes ending in .* (repeatable, or comma-separated; default every one)' });
  permission = Option.Array('--permission', { description: 'Narrows the role to these permissions (repeatable, or comma-separated)' });
  nodes = Option.String('--nodes', { description: 'Node selector the token is limited to, e.g. "env=prod,platform in (linux)" (default every node)' });
  rate = Option.String('--rate', { description: 'Calls the token may make, e.g. 20/s or 600/m, bursts of twice that (default 50/s)' });
  json = Option.Boolean('--json', false, { description: 'Print one JSON object (with the token)' });

  async execute(): Promise<number> {
    const never = this.ttl?.trim() === 'never';
    const ttlMs = this.ttl === undefined || never ? undefined : parseDuration(this.ttl, '--ttl');
    const split = (values: string[] | undefined): string[] => (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
    const ratePerSecond = this.rate === undefined ? 0 : parseRate(this.rate);
    if (ttlMs !== undefined && ttlMs < 1000) throw new PalyraError('PALYRA_E_USAGE', '--ttl must be at least 1s');
    const created = await this.withClient((client) =>
      client.createToken({
        name: this.name,
        role: this.role,
        ttlSeconds: ttlMs === undefined ? 0 : Math.ceil(ttlMs / 1000),
        neverExpires: never,
        scopes: split(this.scope),
        permissions: split(this.permission),
        nodes: this.nodes ?? '',
        ratePerSecond,
        burst: 0,
      }),
    );
    const info = created.info;
    if (info === null) throw new PalyraError('PALYRA_E_INTERNAL', 'the daemon answered CreateToken without the token');
    // The token goes to stdout only (pipe it into a secret store); the notice to stderr.
    this.context.stderr.write(`palyrad: token ${info.id} (${info.name}, role ${info.role}, ${info.expiresAt === '' ? 'never expires' : `expires ${info.expiresAt}`}): it will not be shown again, store it now\n`);
    if (this.json) this.printJson({ token: created.token, ...tokenJson(info) });
    else this.print(created.token);
    return 0;
  }
}
