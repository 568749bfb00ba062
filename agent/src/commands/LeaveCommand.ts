import { Command, Option } from 'clipanion';
import { AgentCommand } from './AgentCommand.js';

export class LeaveCommand extends AgentCommand {
  static override paths = [['leave']];
  static override usage = Command.Usage({
    description: 'Delete this node’s local identity (keys and certificate) and its vault',
    details:
      'Removes the vault: its data key in the OS vault (or the key file Palyra generated), the encrypted file with the identity and every ' +
      'secret, and an identity file left by older versions. The daemon still lists the node until an operator runs `palyrad nodes remove`.',
    examples: [['Forget the identity', 'palyra-node leave']],
  });

  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    const store = await this.identityStore();
    // Leaving never needs the key: a vault that no longer opens can still be removed.
    const identity = await store.load({ migrate: false }).catch(() => undefined);
    const removed = await store.remove();
    if (this.json) this.printJson({ removed, deviceId: identity?.deviceId ?? null });
    // A passphrase vault left without its passphrase (no terminal) is removed unopened: say so
    // rather than print a blank where the device id goes.
    else if (!removed) this.print('no identity to delete');
    else this.print(identity === undefined ? 'identity deleted (its vault was removed unopened: the device id is unknown, find the node with palyrad nodes list)' : `identity ${identity.deviceId} deleted`);
    return 0;
  }
}
