/**
 * Issue 12, item 10: after pairing, a node renames itself through RegisterNode. The
 * pairing-time rule on characters applies to every field it sends (refused with a coded
 * error, the stored record unchanged), and `palyrad nodes list` in text mode escapes what it
 * prints and tells devices that share a name apart. A real palyrad process, nodes paired
 * through the real join, a raw gRPC client with a node's issued certificate.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { fromServiceError, type Capability, type NodeServiceClient, type RegisterNodeRequest } from '@palyra/proto';
import type { NodeIdentity } from '../../agent/src/identity/index.js';
import { pairedNodeIdentity, nodeServiceClientOf } from '../helpers/rogueNode.js';
import { DaemonProcess, type NodeRow } from '../helpers/daemonHarness.js';
import { E2E_TEST_TIMEOUT_MS, stopProcesses, TempDirs } from '../helpers/processes.js';
import { Scope, expectPalyraStatus, type CallOutcome } from '../integration/harness.js';

const dirs = new TempDirs();
let scope: Scope;
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
  await stopProcesses();
  await dirs.cleanup();
});

function register(client: NodeServiceClient, request: RegisterNodeRequest): Promise<CallOutcome<unknown>> {
  return new Promise((resolve) => {
    client.RegisterNode(request, { deadline: Date.now() + 30_000 }, (error, value) =>
      resolve(error ? { ok: false, error, palyra: fromServiceError(error) } : { ok: true, value }),
    );
  });
}

const capability = (fields: Partial<Capability>): Capability => ({
  id: 'probe.echo', kind: 'read', description: 'echo', plugin: 'probe', inputSchemaJson: '{}', outputSchemaJson: '{}', ...fields,
});

describe('text a node sends after pairing', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('refuses RegisterNode fields with bidi overrides, C1 controls or zero-width characters and keeps the stored record', async () => {
    const daemon = await DaemonProcess.start(await dirs.make('palyra-names-'));
    const node = await pairedNodeIdentity(scope, daemon, 'lab-1');
    const client = nodeServiceClientOf(scope, daemon, node);
    const base: RegisterNodeRequest = {
      deviceId: node.deviceId, name: 'lab-1', platform: 'linux-x64', hostname: 'lab-1.local', agentVersion: '0.1.0', capabilities: [capability({})],
    };
    const first = await register(client, base);
    if (!first.ok) throw first.palyra;

    const attacks: Array<[string, Partial<RegisterNodeRequest>]> = [
      ['name', { name: 'lab-\u202e1' }],
      ['name', { name: 'lab-\u00851' }],
      ['name', { name: 'lab\u200b-1' }],
      ['name', { name: 'lab-1\u2066' }],
      ['platform', { platform: 'linux\u202e-x64' }],
      ['hostname', { hostname: 'lab-1\u200d.local' }],
      ['agentVersion', { agentVersion: '0.1.0\u009b' }],
      ['description', { capabilities: [capability({ description: 'echo\u202e' })] }],
      ['plugin', { capabilities: [capability({ plugin: 'probe\ufeff' })] }],
      ['kind', { capabilities: [capability({ kind: 'read\u0085' })] }],
    ];
    for (const [field, change] of attacks) {
      const refused = expectPalyraStatus(await register(client, { ...base, ...change }), 'PALYRA_E_INVALID_ARGUMENT', grpc.status.INVALID_ARGUMENT);
      expect(refused.message, JSON.stringify(change)).toContain(field);
      expect(refused.message).toContain('control, format or invisible characters');
    }
    const [stored] = await daemon.json<NodeRow[]>('nodes', 'list');
    expect(stored).toMatchObject({ deviceId: node.deviceId, name: 'lab-1', platform: 'linux-x64', capabilities: ['probe.echo'] });
  });

  it('nodes list in text mode: a node renamed to another node’s name is shown with its device id, and look-alike spaces are escaped', async () => {
    const daemon = await DaemonProcess.start(await dirs.make('palyra-names-'));
    const real = await pairedNodeIdentity(scope, daemon, 'build-server');
    const copycat = await pairedNodeIdentity(scope, daemon, 'lab-2');
    const lookalike = await pairedNodeIdentity(scope, daemon, 'lab-3');

    const rename = async (node: NodeIdentity, name: string): Promise<void> => {
      const outcome = await register(nodeServiceClientOf(scope, daemon, node), {
        deviceId: node.deviceId, name, platform: 'linux-x64', hostname: 'h', agentVersion: '0.1.0', capabilities: [],
      });
      if (!outcome.ok) throw outcome.palyra;
    };
    // Two devices may share a name (accepted), and a no-break space is not an unsafe character.
    await rename(copycat, 'build-server');
    await rename(lookalike, 'build\u00a0server');

    const listed = await daemon.cli('nodes', 'list');
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    const lineOf = (node: NodeIdentity): string => {
      const line = lines.find((l) => l.startsWith(node.deviceId));
      if (line === undefined) throw new Error(`no line for ${node.deviceId} in ${listed.stdout}`);
      return line;
    };
    for (const node of [real, copycat]) {
      expect(lineOf(node)).toContain(`build-server [name shared by 2 devices; this is ${node.deviceId}]`);
    }
    expect(lineOf(lookalike)).toContain('build\\u{a0}server (linux-x64)');
    expect(lineOf(lookalike)).not.toContain('shared');
    expect(listed.stdout).not.toContain('\u00a0');

    // JSON keeps the real values.
    const rows = await daemon.json<NodeRow[]>('nodes', 'list');
    expect(rows.map((r) => r.name).sort()).toEqual(['build-server', 'build-server', 'build\u00a0server']);
  });
});
