/**
 * Issue 12, item 3: a rogue node announces capability schemas built to stall the daemon
 * (catastrophic-backtracking patterns, backreferences). A real palyrad process, a node
 * paired through the real join, then a raw gRPC client with the node's issued certificate
 * playing the rogue agent.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { fromServiceError, type Capability, type NodeServiceClient, type RegisterNodeResponse__Output } from '@palyra/proto';
import type { NodeIdentity } from '../../agent/src/identity/index.js';
import { pairedNodeIdentity, nodeServiceClientOf } from '../helpers/rogueNode.js';
import { DaemonProcess } from '../helpers/daemonHarness.js';
import { parseInvokeJson, runInvoke } from '../helpers/dispatchHarness.js';
import { E2E_TEST_TIMEOUT_MS, PALYRAD, runBin, stopProcesses, TempDirs } from '../helpers/processes.js';
import {
  Scope,
  SessionProbe,
  expectPalyraStatus,
  within,
  type CallOutcome,
} from '../integration/harness.js';

/** A liveness bound: the daemon answers at all. Before the fix it stayed busy for hours. */
const RESPONSIVE_MS = 60_000;
const EVIL_PATTERN = '^([a-z]+)*$';
const EVIL_INPUT = `${'a'.repeat(30)}!`;

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

function capability(id: string, inputSchema: Record<string, unknown>): Capability {
  return { id, kind: 'read', description: 'rogue', plugin: 'rogue', inputSchemaJson: JSON.stringify(inputSchema), outputSchemaJson: '{}' };
}

function register(client: NodeServiceClient, node: NodeIdentity, capabilities: Capability[]): Promise<CallOutcome<RegisterNodeResponse__Output>> {
  return new Promise((resolve) => {
    client.RegisterNode(
      { deviceId: node.deviceId, name: node.name, platform: 'linux-x64', hostname: 'rogue', agentVersion: '0.0.0-rogue', capabilities },
      { deadline: Date.now() + RESPONSIVE_MS },
      (error, value) => resolve(error ? { ok: false, error, palyra: fromServiceError(error) } : { ok: true, value: value as RegisterNodeResponse__Output }),
    );
  });
}

describe('a rogue node cannot stall the daemon with its schemas', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('validates the 31-character ReDoS input at once (rejected), while palyrad status answers and another node stays online', async () => {
    const daemon = await DaemonProcess.start(await dirs.make('palyra-redos-'));
    const rogue = await pairedNodeIdentity(scope, daemon, 'rogue');
    const honest = await pairedNodeIdentity(scope, daemon, 'honest');

    const honestSession = new SessionProbe(scope, nodeServiceClientOf(scope, daemon, honest), honest.deviceId);
    expect((await honestSession.firstMessage).body).toBe('welcome');

    const client = nodeServiceClientOf(scope, daemon, rogue);
    const registered = await register(client, rogue, [
      capability('rogue.match', { type: 'object', properties: { s: { type: 'string', pattern: EVIL_PATTERN } }, required: ['s'] }),
    ]);
    if (!registered.ok) throw registered.palyra;
    const session = new SessionProbe(scope, client, rogue.deviceId);
    expect((await session.firstMessage).body).toBe('welcome');

    // The operator's dispatch and a status call, concurrently.
    const invoke = runInvoke(daemon, rogue.deviceId, 'rogue.match', { s: EVIL_INPUT }, ['--json']);
    const status = runBin(PALYRAD, ['status', '--json', '--state-dir', daemon.stateDir]);
    const [invoked, statusResult] = await within(Promise.all([invoke, status]), RESPONSIVE_MS, 'the dispatch and palyrad status');

    const result = parseInvokeJson(invoked);
    expect(result.status).toBe('rejected');
    expect(result.error?.code).toBe('PALYRA_E_INPUT_INVALID');
    expect(result.error?.message).toContain('must match pattern');
    expect(statusResult.code, statusResult.stderr).toBe(0);
    expect(JSON.parse(statusResult.stdout)).toMatchObject({ running: true, nodes: { online: 2 } });

    // A valid input still goes through validation and is sent to the node.
    const sent = session.nextMatching((message) => message.body === 'dispatch');
    const valid = runInvoke(daemon, rogue.deviceId, 'rogue.match', { s: 'a'.repeat(30) }, ['--json', '--timeout', '1s']);
    expect((await within(sent, RESPONSIVE_MS, 'the valid dispatch reaching the node')).dispatch?.capability).toBe('rogue.match');
    expect(parseInvokeJson(await valid).status).toBe('timed_out');

    // The honest node's session was never dropped.
    const nodes = await daemon.json<Array<{ deviceId: string; status: string }>>('nodes', 'list');
    expect(nodes.find((n) => n.deviceId === honest.deviceId)?.status).toBe('online');
  });

  it('compiles a registration of heavy (allowed) schemas off the event loop: palyrad status answers while it is still under way', async () => {
    const daemon = await DaemonProcess.start(await dirs.make('palyra-redos-'));
    const rogue = await pairedNodeIdentity(scope, daemon, 'rogue');
    const client = nodeServiceClientOf(scope, daemon, rogue);
    // 100 distinct schemas of 1,202 keywords each (the limit is 2,000): about 0.2 s each to
    // compile, some 20 s in all on an idle machine, which the daemon spent on its event loop
    // before. That is ten times what a fresh `palyrad status` process needs even on a busy
    // machine, so the order of the two outcomes below does not hang on a race.
    const heavy = Array.from({ length: 100 }, (_, n) => {
      const properties: Record<string, unknown> = {};
      for (let i = 0; i < 400; i += 1) properties[`p${n}_${i}`] = { type: 'string', minLength: 1, maxLength: 64 + n };
      return capability(`rogue.heavy${n}`, { type: 'object', properties });
    });
    let registrationDone = false;
    let call: grpc.ClientUnaryCall | undefined;
    const registration = new Promise<void>((resolve) => {
      call = client.RegisterNode(
        { deviceId: rogue.deviceId, name: rogue.name, platform: 'linux-x64', hostname: 'rogue', agentVersion: '0.0.0-rogue', capabilities: heavy },
        { deadline: Date.now() + 10 * RESPONSIVE_MS },
        () => resolve(),
      );
    }).finally(() => {
      registrationDone = true;
    });

    const status = await within(runBin(PALYRAD, ['status', '--json', '--state-dir', daemon.stateDir]), RESPONSIVE_MS, 'palyrad status');
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true });
    // The outcome that matters: status was answered before the registration's compiles ended.
    expect(registrationDone).toBe(false);

    // The rogue node gives up: its half-compiled announcement never takes effect, and the
    // schema thread goes on to serve the next registration.
    call?.cancel();
    await registration;
    const small = await within(register(client, rogue, [capability('rogue.ok', { type: 'object' })]), RESPONSIVE_MS, 'the next registration');
    if (!small.ok) throw small.palyra;
    const nodes = await daemon.json<Array<{ deviceId: string; capabilities: string[] }>>('nodes', 'list');
    expect(nodes.find((n) => n.deviceId === rogue.deviceId)?.capabilities).toEqual(['rogue.ok']);
  });

  it('refuses a registration whose schema needs backtracking (backreference, lookahead) with PALYRA_E_SCHEMA_REFUSED naming the capability, and keeps the old announcement', async () => {
    const daemon = await DaemonProcess.start(await dirs.make('palyra-redos-'));
    const rogue = await pairedNodeIdentity(scope, daemon, 'rogue');
    const client = nodeServiceClientOf(scope, daemon, rogue);
    const first = await register(client, rogue, [capability('rogue.ok', { type: 'object' })]);
    if (!first.ok) throw first.palyra;

    for (const pattern of ['^(a+)+\\1$', '^(?=a)([a-z]+)*$']) {
      const refused = expectPalyraStatus(
        await register(client, rogue, [capability('rogue.backref', { properties: { s: { type: 'string', pattern } } })]),
        'PALYRA_E_SCHEMA_REFUSED',
        grpc.status.INVALID_ARGUMENT,
      );
      expect(refused.message).toContain('rogue.backref');
      expect(refused.message).toContain('/properties/s/pattern');
    }
    const nodes = await daemon.json<Array<{ deviceId: string; capabilities: string[] }>>('nodes', 'list');
    expect(nodes.find((n) => n.deviceId === rogue.deviceId)?.capabilities).toEqual(['rogue.ok']);
  });
});
