import { Command, Option } from 'clipanion';
import type { CaStatus__Output } from '@palyra/proto';
import { displayText } from '@palyra/shared/text';
import { DaemonCommand } from './DaemonCommand.js';

/** The CA status as `ca status --json` prints it (and `ca rotate --json`, `ca finish --json` embed it). */
export function caStatusDocument(status: CaStatus__Output): Record<string, unknown> {
  return {
    rotating: status.rotating,
    serverCa: status.serverCaFingerprint,
    nodes: status.nodesTotal,
    cas: status.cas.map((ca) => ({
      fingerprint: ca.fingerprint,
      role: ca.role,
      notAfter: ca.notAfter,
      createdAt: ca.createdAt,
      nodesTrusting: ca.nodesTrusting,
      nodesHolding: ca.nodesHolding,
      server: ca.fingerprint === status.serverCaFingerprint,
    })),
  };
}

function caLines(status: CaStatus__Output): string[] {
  const lines = status.cas
    .filter((ca) => ca.role !== 'retired')
    .map(
      (ca) =>
        `  ${ca.role.padEnd(8)} ${ca.fingerprint}  expires ${ca.notAfter}  trusted by ${ca.nodesTrusting}/${status.nodesTotal} nodes, ` +
        `certificates of ${ca.nodesHolding}${ca.fingerprint === status.serverCaFingerprint ? '  (server certificate)' : ''}`,
    );
  const retired = status.cas.filter((ca) => ca.role === 'retired').length;
  if (retired > 0) lines.push(`  ${retired} retired CA${retired === 1 ? '' : 's'} (no longer trusted)`);
  return lines;
}

export class CaStatusCommand extends DaemonCommand {
  static override paths = [['ca', 'status']];
  static override usage = Command.Usage({
    description: 'Show the CAs: role, expiry, how many nodes trust each and hold its certificates, and the server certificate\'s CA',
    examples: [['CA status as JSON', 'palyrad ca status --json']],
  });

  json = Option.Boolean('--json', false, { description: 'Print one JSON object' });

  async execute(): Promise<number> {
    const status = await this.withClient((client) => client.caStatus());
    if (this.json) {
      this.printJson(caStatusDocument(status));
      return 0;
    }
    this.print(status.rotating ? 'CA rotation in progress' : 'no CA rotation in progress');
    for (const line of caLines(status)) this.print(line);
    if (status.rotating) {
      const signing = status.cas.find((ca) => ca.role === 'signing');
      if (signing !== undefined && status.serverCaFingerprint !== signing.fingerprint) {
        this.print(`  the server certificate switches to the new CA once all ${status.nodesTotal} nodes trust it (${signing.nodesTrusting} do)`);
      }
    }
    return 0;
  }
}

export class CaRotateCommand extends DaemonCommand {
  static override paths = [['ca', 'rotate']];
  static override usage = Command.Usage({
    description: 'Begin a CA rotation: a new CA signs node certificates; both CAs are trusted until ca finish',
    details: `
      Online nodes receive the trust bundle (old and new CA) and renew onto the new CA at once;
      offline nodes get both when they reconnect. The server certificate switches to the new
      CA once every registered node trusts it. Fails with PALYRA_E_CA_ROTATION_IN_PROGRESS
      while an earlier rotation is not finished.
    `,
    examples: [['Rotate the CA', 'palyrad ca rotate']],
  });

  json = Option.Boolean('--json', false, { description: 'Print the CA status as JSON' });

  async execute(): Promise<number> {
    const status = await this.withClient((client) => client.rotateCa());
    if (this.json) {
      this.printJson(caStatusDocument(status));
      return 0;
    }
    const signing = status.cas.find((ca) => ca.role === 'signing');
    this.print(`CA rotation begun: new signing CA ${signing?.fingerprint ?? '?'}; follow it with palyrad ca status, end it with palyrad ca finish`);
    for (const line of caLines(status)) this.print(line);
    return 0;
  }
}

export class CaFinishCommand extends DaemonCommand {
  static override paths = [['ca', 'finish']];
  static override usage = Command.Usage({
    description: 'End a CA rotation: retire the old CA once no registered node depends on it',
    details: `
      Refused with PALYRA_E_CA_IN_USE, naming the nodes, while a registered node holds a
      certificate of the old CA or does not trust the new one. --force retires it anyway: the
      certificates of the old CA are revoked and the nodes listed as cut off must pair again.
      Afterwards the old CA is trusted nowhere and nodes are sent the new bundle.
    `,
    examples: [
      ['Finish the rotation', 'palyrad ca finish'],
      ['Finish it even if nodes are left behind', 'palyrad ca finish --force'],
    ],
  });

  force = Option.Boolean('--force', false, { description: 'Retire the old CA even if nodes depend on it (they are cut off)' });
  json = Option.Boolean('--json', false, { description: 'Print the result as JSON' });

  async execute(): Promise<number> {
    const result = await this.withClient((client) => client.finishCaRotation(this.force));
    const cutOff = result.cutOff.map((node) => ({
      deviceId: node.deviceId,
      name: node.name,
      holdsOldCertificate: node.holdsOldCertificate,
      lacksTrust: node.lacksTrust,
    }));
    if (this.json) {
      this.printJson({ retired: result.retiredFingerprint, cutOff, ...(result.status === null ? {} : { status: caStatusDocument(result.status) }) });
      return 0;
    }
    this.print(`CA ${result.retiredFingerprint} retired: it is no longer trusted`);
    for (const node of cutOff) {
      const why = [node.holdsOldCertificate ? 'its certificate of the old CA is revoked' : '', node.lacksTrust ? 'it does not trust the new CA' : ''].filter(Boolean).join('; ');
      this.print(`  cut off: ${displayText(node.name)} (${node.deviceId}): ${why}; pair it again`);
    }
    return 0;
  }
}
