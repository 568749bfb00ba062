/**
 * Issue 17 labels through the built binaries: a node's labels from its config, operator labels
 * set and removed with `palyrad nodes label` (they win, survive re-registration, are audited),
 * node references by name and prefix (ambiguous names list their candidates), `nodes describe`.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import { DaemonProcess, pairNode, type NodeRow } from '../helpers/daemonHarness.js';
import { startAgent, writeNodeConfig } from '../helpers/dispatchHarness.js';
import { E2E_TEST_TIMEOUT_MS, PALYRA_NODE, runBin, stopProcesses, TempDirs } from '../helpers/processes.js';

const dirs = new TempDirs();
afterEach(async () => {
  await stopProcesses();
  await dirs.cleanup();
});

type LabelledRow = NodeRow & { labels: Record<string, string>; nodeLabels: Record<string, string>; operatorLabels: Record<string, string> };

describe('node labels, references and describe (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it('config labels, operator labels with precedence across re-registration, ambiguous names, describe, audit', async () => {
    const base = await dirs.make('palyra-e2e-labels-');
    const daemon = await DaemonProcess.start(join(base, 'daemon'));
    const firstDir = join(base, 'first');
    const secondDir = join(base, 'second');
    const first = await pairNode(daemon, firstDir, 'twin');
    const second = await pairNode(daemon, secondDir, 'twin');
    const config = await writeNodeConfig(base, { labels: { role: 'web', env: 'dev' } });
    let agent = await startAgent(firstDir, config);
    const row = async (deviceId: string): Promise<LabelledRow> => {
      const found = parseOneJson<LabelledRow[]>(await daemon.cli('nodes', 'list', '--json')).find((n) => n.deviceId === deviceId);
      if (found === undefined) throw new Error(`node ${deviceId} not listed`);
      return found;
    };
    expect(await row(first)).toMatchObject({ labels: { role: 'web', env: 'dev' }, nodeLabels: { role: 'web', env: 'dev' }, operatorLabels: {} });

    // The name is shared: ambiguous, listing both with their ids; nothing is changed.
    const ambiguous = await daemon.cli('nodes', 'label', 'twin', 'env=prod');
    expectErrorLine(ambiguous, 'PALYRA_E_NODE_AMBIGUOUS', 65);
    expect(ambiguous.stderr).toContain(first);
    expect(ambiguous.stderr).toContain(second);
    // A unique prefix names one; operator labels win over the node's.
    const labelled = parseOneJson<LabelledRow>(await daemon.cli('nodes', 'label', first.slice(0, 22), 'env=prod', 'team=a', '--json'));
    expect(labelled).toMatchObject({ deviceId: first, labels: { role: 'web', env: 'prod', team: 'a' }, operatorLabels: { env: 'prod', team: 'a' }, nodeLabels: { role: 'web', env: 'dev' } });
    // Bad labels are refused naming the key, before and by the daemon alike.
    expectErrorLine(await daemon.cli('nodes', 'label', first, 'bad key=x'), 'PALYRA_E_LABEL_INVALID', 65);
    expectErrorLine(await daemon.cli('nodes', 'label', first, `k=${'v'.repeat(64)}`), 'PALYRA_E_LABEL_INVALID', 65);

    // Re-registration with other config labels: the node's change, the operator's stay on top.
    await agent.stop();
    const changed = await writeNodeConfig(base, { labels: { role: 'api', env: 'dev' } }, 'changed.config.json');
    agent = await startAgent(firstDir, changed);
    expect(await row(first)).toMatchObject({ labels: { role: 'api', env: 'prod', team: 'a' }, nodeLabels: { role: 'api', env: 'dev' } });
    expect(parseOneJson<LabelledRow[]>(await daemon.cli('nodes', 'list', '-l', 'env=prod,role=api,status=online', '--json')).map((n) => n.deviceId)).toEqual([first]);
    // Removing the operator's env shows the node's own again.
    expect(parseOneJson<LabelledRow>(await daemon.cli('nodes', 'label', first, 'env-', '--json')).labels).toEqual({ role: 'api', env: 'dev', team: 'a' });

    // A dispatch by prefix reference, then describe: labels with their source, capabilities, certificate, the dispatch.
    await daemon.cli('nodes', 'invoke', first.slice(0, 20), 'fs.stat', '--input', '{"path":"nothing-here"}', '--json');
    const described = parseOneJson<{
      deviceId: string;
      labels: { key: string; value: string; source: string }[];
      capabilities: { id: string; kind: string; inputSchema: unknown }[];
      certFingerprint: string;
      certState: string;
      transportDetail: string;
      lastDispatches: { capability: string }[];
    }>(await daemon.cli('nodes', 'describe', first.slice(0, 20), '--json'));
    expect(described.deviceId).toBe(first);
    expect(described.labels).toEqual(expect.arrayContaining([{ key: 'team', value: 'a', source: 'operator' }, { key: 'role', value: 'api', source: 'node' }]));
    expect(described.capabilities.length).toBeGreaterThan(0);
    expect(described.capabilities[0]).toMatchObject({ id: expect.any(String), kind: expect.any(String) });
    expect(described.certFingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(described.transportDetail).toMatch(/session from /);
    expect(described.lastDispatches.map((d) => d.capability)).toEqual(['fs.stat']);
    const text = await daemon.cli('nodes', 'describe', first, '--dispatches', '1');
    expect(text.stdout).toMatch(/team=a \(operator\)/);
    expect(text.stdout).toMatch(/role=api \(node\)/);
    expect(text.stdout).toMatch(/fs\.stat/);
    expectErrorLine(await daemon.cli('nodes', 'describe', first, '--dispatches', '101'), 'PALYRA_E_USAGE', 64);

    // The label changes are in the audit log, the refused ones as refused.
    const audit = parseOneJson<{ action: string; node?: string; outcome: string; details?: Record<string, string> }[]>(await daemon.cli('audit', '--action', 'node.label', '--json'));
    expect(audit.filter((e) => e.outcome === 'ok').map((e) => e.details)).toEqual([
      { remove: '', set: 'env=prod,team=a' },
      { remove: 'env', set: '' },
    ]);

    // A config with a bad label: the agent refuses to start, naming the key.
    const bad = await writeNodeConfig(base, { labels: { '-bad': 'x' } }, 'bad.config.json');
    const refused = await runBin(PALYRA_NODE, ['run', '--state-dir', secondDir, '--config', bad]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('PALYRA_E_LABEL_INVALID');
    expect(refused.stderr).toContain('-bad');
  });
});
