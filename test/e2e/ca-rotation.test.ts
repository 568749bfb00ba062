/**
 * A full CA rotation with the built binaries (issue 15, part 6): a real palyrad and real
 * palyra-node agents, two online and one offline when the rotation begins. Online nodes get
 * the trust bundle and renew onto the new CA at once (RenewNow); `ca finish` refuses while the
 * offline node depends on the old CA; once it comes back it takes the bundle and renews too,
 * the server certificate switches to the new CA, finish retires the old one, and every node
 * ends on the new CA, online, and none paired again.
 */
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, pairNode, startNode, storedRecords, type NodeRow } from '../helpers/daemonHarness.js';
import { E2E_TEST_TIMEOUT_MS, TempDirs, pollUntil, stopProcesses, type RunningProcess } from '../helpers/processes.js';

interface CaJson {
  rotating: boolean;
  serverCa: string;
  nodes: number;
  cas: Array<{ fingerprint: string; role: 'signing' | 'retiring' | 'retired'; notAfter: string; nodesTrusting: number; nodesHolding: number; server: boolean }>;
}

const dirs = new TempDirs();

afterEach(async () => {
  await stopProcesses();
}, 120_000);

afterAll(async () => {
  await dirs.cleanup();
});

describe('CA rotation (real processes)', { timeout: E2E_TEST_TIMEOUT_MS * 2 }, () => {
  it('moves every node, online and offline, onto the new CA without pairing any again; finish waits for the offline one', async () => {
    let daemon = await DaemonProcess.start(join(await dirs.make('palyra-e2e-carot-'), 'state'));
    const caStatus = async (): Promise<CaJson> => parseOneJson<CaJson>(await daemon.cli('ca', 'status', '--json'));
    const nodes = async (): Promise<NodeRow[]> => parseOneJson<NodeRow[]>(await daemon.cli('nodes', 'list', '--json'));

    const nodeDirs = await Promise.all(['a', 'b', 'c'].map(async (name) => join(await dirs.make(`palyra-e2e-carot-${name}-`), 'state')));
    const [dirA, dirB, dirC] = nodeDirs as [string, string, string];
    const ids = [await pairNode(daemon, dirA, 'rot-a'), await pairNode(daemon, dirB, 'rot-b'), await pairNode(daemon, dirC, 'rot-c')];
    const stored = (): Array<{ deviceId: string; pairedAt: string; certCaFingerprint?: string }> => storedRecords(daemon.stateDir, 'nodes');
    const pairedAt = new Map(stored().map((n) => [n.deviceId, n.pairedAt]));
    expect(pairedAt.size).toBe(3);
    const agents: RunningProcess[] = [await startNode(dirA), await startNode(dirB)];
    // C was paired and is off when the rotation begins.
    const before = await caStatus();
    expect(before.rotating).toBe(false);
    const oldCa = before.cas[0]?.fingerprint as string;

    const rotated = parseOneJson<CaJson>(await daemon.cli('ca', 'rotate', '--json'));
    expect(rotated.rotating).toBe(true);
    const newCa = rotated.cas.find((ca) => ca.role === 'signing')?.fingerprint as string;
    expect(newCa).not.toBe(oldCa);
    expect(rotated.serverCa).toBe(oldCa);
    // A second rotation while this one runs is refused with its code.
    expectErrorLine(await daemon.cli('ca', 'rotate'), 'PALYRA_E_CA_ROTATION_IN_PROGRESS', 75);

    // The online nodes take the bundle and renew onto the new CA by themselves.
    await pollUntil(
      async () => {
        const ca = (await caStatus()).cas.find((c) => c.fingerprint === newCa);
        return ca !== undefined && ca.nodesHolding === 2 && ca.nodesTrusting === 2 ? ca : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, what: 'the online nodes to trust and hold the new CA' },
    );
    // A daemon restart in the middle of the rotation keeps it where it was (the CA state is on
    // disk): both CAs, the server certificate of the old one; the agents reconnect by themselves.
    await daemon.stop();
    daemon = await DaemonProcess.start(daemon.stateDir, ['--listen', daemon.ready.grpc, '--quic-listen', daemon.ready.quic]);
    const afterRestart = await caStatus();
    expect(afterRestart).toMatchObject({ rotating: true, serverCa: oldCa });
    expect(afterRestart.cas.map((c) => c.role)).toEqual(['retiring', 'signing']);
    await pollUntil(
      async () => {
        const online = (await nodes()).filter((n) => n.status === 'online').map((n) => n.deviceId);
        return online.includes(ids[0] as string) && online.includes(ids[1] as string) ? online : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, what: 'the online nodes to reconnect after the daemon restart' },
    );
    // C still trusts only the old CA: the server certificate stays with it, and finish refuses, naming C.
    expect((await caStatus()).serverCa).toBe(oldCa);
    const refused = expectErrorLine(await daemon.cli('ca', 'finish'), 'PALYRA_E_CA_IN_USE', 75);
    expect(refused).toContain(ids[2]);
    expect(refused).not.toContain(ids[0]);

    // C comes back: bundle at RegisterNode, asked to renew; then every node trusts the new CA and the server certificate switches.
    agents.push(await startNode(dirC));
    const moved = await pollUntil(
      async () => {
        const status = await caStatus();
        const ca = status.cas.find((c) => c.fingerprint === newCa);
        return ca !== undefined && ca.nodesHolding === 3 && ca.nodesTrusting === 3 && status.serverCa === newCa ? status : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, what: 'every node on the new CA and the server certificate switched' },
    );
    expect(moved.cas.find((c) => c.fingerprint === oldCa)?.nodesHolding).toBe(0);

    const finished = parseOneJson<{ retired: string; cutOff: unknown[] }>(await daemon.cli('ca', 'finish', '--json'));
    expect(finished).toMatchObject({ retired: oldCa, cutOff: [] });
    // The nodes drop the old CA from their bundles.
    await pollUntil(
      async () => {
        const status = await caStatus();
        const retired = status.cas.find((c) => c.fingerprint === oldCa);
        return retired?.role === 'retired' && retired.nodesTrusting === 0 && status.cas.find((c) => c.fingerprint === newCa)?.nodesTrusting === 3 ? status : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the nodes to drop the old CA' },
    );

    // Every node is online, on the new CA, none paired again; a restarted agent connects with the new CA alone.
    const restartedA = agents[0] as RunningProcess;
    await restartedA.stop();
    agents[0] = await startNode(dirA);
    const final = await pollUntil(
      async () => {
        const list = await nodes();
        return list.length === 3 && list.every((n) => n.status === 'online') ? list : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'all three nodes online' },
    );
    expect(final.map((n) => n.deviceId).sort()).toEqual([...ids].sort());
    for (const node of stored()) {
      expect(node.pairedAt).toBe(pairedAt.get(node.deviceId));
      expect(node.certCaFingerprint).toBe(newCa);
    }
    const status = parseOneJson<{ caFingerprint: string; ca: { rotating: boolean; notAfter: string; warning?: string } }>(await daemon.cli('status', '--json'));
    expect(status.caFingerprint).toBe(newCa);
    expect(status.ca.rotating).toBe(false);
    expect(status.ca.warning).toBeUndefined();
    expect(Date.parse(status.ca.notAfter)).toBeGreaterThan(Date.now() + 5 * 365 * 24 * 3600_000);
  });
});
