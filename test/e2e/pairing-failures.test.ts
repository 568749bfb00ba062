/**
 * Pairing that must fail, and fail clearly: wrong PIN, a PIN burned by guessing, an expired
 * PIN, a PIN used twice, a rejected request. Real processes; one daemon for the file (only
 * one PIN is active at a time, and the tests of a file run one after another).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectErrorLine, parseOneJson } from '../helpers/cliAssertions.js';
import {
  nodeCli, spawnJoin, type NodeRow, type PairingCodeJson, type PendingRow
} from '../helpers/daemonHarness.js';
import { useSharedDaemon } from '../helpers/sharedDaemon.js';
import { E2E_TEST_TIMEOUT_MS, pollUntil } from '../helpers/processes.js';

const MAX_PIN_ATTEMPTS = 5;

const { dirs, running } = useSharedDaemon('palyra-e2e-failures-');

async function nodeDir(): Promise<string> {
  return join(await dirs.make('palyra-e2e-node-'), 'state');
}

/** A six-digit PIN that is not `pin`. */
function otherPin(pin: string, offset = 1): string {
  return ((Number(pin) + offset) % 1_000_000).toString().padStart(6, '0');
}

async function expectNotJoined(dir: string): Promise<void> {
  expect(parseOneJson(await nodeCli(dir, 'status', '--json'))).toMatchObject({ joined: false });
}

async function pendingRequests(): Promise<PendingRow[]> {
  return parseOneJson<PendingRow[]>(await running().cli('nodes', 'pending', '--json'));
}

describe('pairing failures (real processes)', { timeout: E2E_TEST_TIMEOUT_MS }, () => {
  it(`fails a wrong PIN, and burns the code after ${MAX_PIN_ATTEMPTS} wrong attempts, even concurrent ones`, async () => {
    const d = running();
    const pin = await d.mintPin();
    const dir = await nodeDir();

    const wrong = await spawnJoin(dir, d, otherPin(pin), ['--name', 'guesser']).waitForExit();
    expect(expectErrorLine(wrong, 'PALYRA_E_PAIRING_FAILED', 66)).toMatch(/wrong PIN/);
    // Nothing proven, nothing shown: no SAS, no request, no identity.
    expect(wrong.stdout).not.toMatch(/confirmation code/);
    expect((await pendingRequests()).filter((r) => r.name === 'guesser')).toEqual([]);
    await expectNotJoined(dir);

    // MAX_PIN_ATTEMPTS more guesses at once: only the attempts left are answered, the rest
    // find the code burned. Racing connections must not buy extra guesses.
    const guesses = await Promise.all(
      Array.from({ length: MAX_PIN_ATTEMPTS }, async (_, i) =>
        spawnJoin(await nodeDir(), d, otherPin(pin, i + 2), ['--name', 'guesser']).waitForExit(),
      ),
    );
    const codes = guesses.map((result) => /^error (PALYRA_E_\w+):/m.exec(result.stderr)?.[1] ?? `exit ${result.code}: ${result.stderr}`);
    expect(codes.sort()).toEqual(
      ['PALYRA_E_PAIRING_CODE_BURNED', ...Array<string>(MAX_PIN_ATTEMPTS - 1).fill('PALYRA_E_PAIRING_FAILED')].sort(),
    );
    for (const result of guesses) expect(result.code).toBe(66);

    // The code is burned: even the right PIN is refused now, and the daemon says why.
    const burned = await spawnJoin(dir, d, pin, ['--name', 'guesser']).waitForExit();
    const message = expectErrorLine(burned, 'PALYRA_E_PAIRING_CODE_BURNED', 66);
    expect(message).toMatch(/burned after 5 attempts/);
    expect(message).toMatch(/palyrad pairing code/);
    await expectNotJoined(dir);
    expect((await pendingRequests()).filter((r) => r.name === 'guesser')).toEqual([]);
  });

  it('refuses an expired PIN', async () => {
    const d = running();
    const code = parseOneJson<PairingCodeJson>(await d.cli('pairing', 'code', '--method', 'pin', '--ttl', '1s', '--json'));
    const expiresAt = Date.parse(code.expiresAt);
    // Wait (not measure) until the code is past its expiry.
    while (Date.now() <= expiresAt + 200) await new Promise((resolve) => setTimeout(resolve, 100));

    const dir = await nodeDir();
    const result = await spawnJoin(dir, d, code.code).waitForExit();
    const message = expectErrorLine(result, 'PALYRA_E_PAIRING_CODE_EXPIRED', 66);
    expect(message).toContain(`expired at ${code.expiresAt}`);
    await expectNotJoined(dir);
  });

  it('pairs once per PIN: a wrong guess does not spend it, a second node cannot reuse it', async () => {
    const d = running();
    const pin = await d.mintPin();

    const wrong = await spawnJoin(await nodeDir(), d, otherPin(pin)).waitForExit();
    expectErrorLine(wrong, 'PALYRA_E_PAIRING_FAILED', 66);

    const first = await nodeDir();
    const joining = spawnJoin(first, d, pin, ['--name', 'first']);
    const [, requestId] = await joining.waitFor(/\(request (\S+)\)\nwaiting for approval$/m);
    const approved = await d.cli('nodes', 'approve', requestId ?? '');
    expect(approved.code, approved.stderr).toBe(0);
    expect((await joining.waitForExit()).code).toBe(0);

    const second = await nodeDir();
    const reused = await spawnJoin(second, d, pin, ['--name', 'second']).waitForExit();
    expectErrorLine(reused, 'PALYRA_E_PAIRING_CODE_USED', 66);
    await expectNotJoined(second);
    expect((await pendingRequests()).filter((r) => r.name === 'second')).toEqual([]);
  });

  it('fails the join of a rejected request and stores no identity', async () => {
    const d = running();
    const pin = await d.mintPin();
    const dir = await nodeDir();
    const joining = spawnJoin(dir, d, pin, ['--name', 'unwelcome']);
    const [, requestId] = await joining.waitFor(/\(request (\S+)\)\nwaiting for approval$/m);
    const request = (await pendingRequests()).find((r) => r.requestId === requestId);
    expect(request).toBeDefined();

    const rejected = await d.cli('nodes', 'reject', requestId ?? '');
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stdout).toContain('rejected unwelcome');

    const result = await joining.waitForExit();
    expectErrorLine(result, 'PALYRA_E_PAIRING_REJECTED', 67);
    await expectNotJoined(dir);
    expect((await pendingRequests()).map((r) => r.requestId)).not.toContain(requestId);
    const nodes = parseOneJson<NodeRow[]>(await d.cli('nodes', 'list', '--json'));
    expect(nodes.map((n) => n.deviceId)).not.toContain(request?.deviceId);
  });

  it('withdraws the request of an interrupted join: nobody is left to receive the certificate', async () => {
    const d = running();
    const pin = await d.mintPin();
    const dir = await nodeDir();
    const joining = spawnJoin(dir, d, pin, ['--name', 'impatient']);
    const [, requestId] = await joining.waitFor(/\(request (\S+)\)\nwaiting for approval$/m);
    const request = (await pendingRequests()).find((r) => r.requestId === requestId);
    expect(request).toBeDefined();

    joining.signal('SIGINT');
    expectErrorLine(await joining.waitForExit(), 'PALYRA_E_CANCELLED', 130);
    await expectNotJoined(dir);

    await pollUntil(
      async () => ((await pendingRequests()).some((r) => r.requestId === requestId) ? undefined : true),
      { what: `request ${requestId} to leave the approval queue` },
    );
    const approved = await d.cli('nodes', 'approve', requestId ?? '');
    expect(expectErrorLine(approved, 'PALYRA_E_REQUEST_NOT_FOUND', 68)).toContain(requestId);
    const nodes = parseOneJson<NodeRow[]>(await d.cli('nodes', 'list', '--json'));
    expect(nodes.map((n) => n.deviceId)).not.toContain(request?.deviceId);
  });
});
