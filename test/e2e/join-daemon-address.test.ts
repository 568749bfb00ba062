/**
 * Item 2 of issue 13: `palyra-node join` takes the daemon address from, first match wins,
 * --daemon, the QR payload, PALYRA_DAEMON, the config file's `daemon` key. Before the fix the
 * config key was ignored. Real processes: the built `palyra-node join` against a real daemon.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectErrorLine } from '../helpers/cliAssertions.js';
import { nodeCli, type PendingRow } from '../helpers/daemonHarness.js';
import { useSharedDaemon } from '../helpers/sharedDaemon.js';
import { E2E_TEST_TIMEOUT_MS, PALYRA_NODE, spawnBin } from '../helpers/processes.js';

const { dirs, running } = useSharedDaemon('palyra-e2e-join-address-');

/** A port nothing listens on: a join sent there could never reach "waiting for approval". */
const NOWHERE = '127.0.0.1:1';

async function configFile(daemon: string): Promise<string> {
  const path = join(await dirs.make('palyra-e2e-join-address-config-'), 'palyra-node.config.json');
  await writeFile(path, JSON.stringify({ daemon }));
  return path;
}

async function nodeDir(): Promise<string> {
  return join(await dirs.make('palyra-e2e-join-address-node-'), 'state');
}

describe('palyra-node join: where the daemon address comes from (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it("joins the daemon named by the config file's daemon key when no flag or PALYRA_DAEMON is given", async () => {
    const d = running();
    const pin = await d.mintPin();
    const dir = await nodeDir();
    const config = await configFile(d.ready.grpc);
    const joining = spawnBin(PALYRA_NODE, ['join', '--pin', '-', '--config', config, '--state-dir', dir, '--name', 'from-config'], {}, { stdin: `${pin}\n` });
    const [, requestId] = await joining.waitFor(/\(request (\S+?)[,)]/);
    await joining.waitFor(/^waiting for approval$/m);
    const request = (await d.json<PendingRow[]>('nodes', 'pending')).find((row) => row.requestId === requestId);
    expect(request?.name).toBe('from-config');
    const approved = await d.cli('nodes', 'approve', requestId ?? '');
    expect(approved.code, approved.stderr).toBe(0);
    const result = await joining.waitForExit();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`approved: joined ${d.ready.grpc}`);
    const status = JSON.parse((await nodeCli(dir, 'status', '--json')).stdout) as { joined: boolean; daemon: string };
    expect(status).toMatchObject({ joined: true, daemon: d.ready.grpc });
  });

  it('PALYRA_DAEMON wins over the config file, and --daemon over both', async () => {
    const d = running();
    const config = await configFile(NOWHERE);
    const fromEnv = spawnBin(PALYRA_NODE, ['join', '--pin', '-', '--config', config, '--state-dir', await nodeDir(), '--name', 'env-over-config'], { PALYRA_DAEMON: d.ready.grpc }, { stdin: `${await d.mintPin()}\n` });
    await fromEnv.waitFor(/^waiting for approval$/m);
    await fromEnv.stop();
    const fromFlag = spawnBin(
      PALYRA_NODE,
      ['join', '--pin', '-', '--daemon', d.ready.grpc, '--config', config, '--state-dir', await nodeDir(), '--name', 'flag-over-all'],
      { PALYRA_DAEMON: NOWHERE },
      { stdin: `${await d.mintPin()}\n` },
    );
    await fromFlag.waitFor(/^waiting for approval$/m);
    await fromFlag.stop();
  });

  it("the QR payload's address wins over PALYRA_DAEMON and the config file", async () => {
    const d = running();
    const { uri } = await d.json<{ uri: string }>('pairing', 'code', '--method', 'qr');
    const config = await configFile(NOWHERE);
    const joining = spawnBin(PALYRA_NODE, ['join', '--qr', '-', '--config', config, '--state-dir', await nodeDir(), '--name', 'qr-over-env'], { PALYRA_DAEMON: NOWHERE }, { stdin: `${uri}\n` });
    await joining.waitFor(/^waiting for approval$/m);
    await joining.stop();
  });

  it('a malformed daemon key names the config file; no address at all is a usage error naming every source', async () => {
    const config = await configFile('not-an-address');
    const malformed = await spawnBin(PALYRA_NODE, ['join', '--pin', '-', '--config', config, '--state-dir', await nodeDir()], {}, { stdin: '123456\n' }).exited;
    expectErrorLine(malformed, 'PALYRA_E_USAGE');
    expect(malformed.stderr).toContain(`${config}: daemon "not-an-address" is not HOST:PORT`);
    const none = await spawnBin(PALYRA_NODE, ['join', '--pin', '-', '--state-dir', await nodeDir()], {}, { stdin: '123456\n' }).exited;
    expectErrorLine(none, 'PALYRA_E_USAGE');
    expect(none.stderr).toContain("--daemon HOST:PORT, PALYRA_DAEMON, or the config file's daemon key");
  });
});
