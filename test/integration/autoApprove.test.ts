/**
 * The --auto-approve policy against a real daemon and the real agent join: with it on, a node
 * whose pairing method the policy covers joins without any operator decision, through the same
 * issuance path (certificate, registry, events, log); everything else still waits for an
 * operator, as does every request when the policy is off (the default).
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { createCsr, fingerprint, generateTlsKeyPair, pemToDer } from '@palyra/shared';
import { createLogger } from '@palyra/shared/logging';
import { generateNodeIdentityKeys, parseQrUri } from '@palyra/shared/pairing';
import type { DaemonEvent } from '@palyra/shared/quic';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AutoApproveMode } from '../../daemon/src/pairing/autoApprovePolicy.js';
import {
  CA_SETUP_TIMEOUT_MS,
  PairProbe,
  Scope,
  TEST_TIMEOUT_MS,
  clientCredentials,
  confirmByHand,
  confirmedOrFailed,
  nodeClient,
  pairingClient,
  prepareCas,
  registerNode,
  startDaemon,
  startJoin,
  within,
  type RunningDaemon,
  type StartedJoin,
} from './harness.js';

/** Bounds a wait for something that must happen (a liveness bound, not a measurement). */
const HAPPENS_WITHIN_MS = 60_000;

let scope: Scope;
beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

/** The daemon's JSON log lines, as they are written. */
class LogCapture {
  readonly lines: Record<string, unknown>[] = [];
  readonly text: string[] = [];
  private readonly emitter = new EventEmitter();
  readonly logger;

  constructor() {
    const stream = new PassThrough();
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        this.text.push(line);
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
        this.emitter.emit('line');
      }
    });
    this.logger = createLogger({ name: 'palyrad', level: 'info', destination: stream, pretty: false });
  }

  /** The first line whose message is `msg` (and whose fields match `fields`), once it is written. */
  waitFor(msg: string, fields: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const find = (): Record<string, unknown> | undefined =>
      this.lines.find((line) => line.msg === msg && Object.entries(fields).every(([key, value]) => line[key] === value));
    return within(
      new Promise((resolve) => {
        const check = (): void => {
          const line = find();
          if (line === undefined) return;
          this.emitter.off('line', check);
          resolve(line);
        };
        this.emitter.on('line', check);
        check();
      }),
      HAPPENS_WITHIN_MS,
      `log line "${msg}"`,
    );
  }
}

async function daemonWith(autoApprove: AutoApproveMode | undefined): Promise<{ d: RunningDaemon; log: LogCapture }> {
  const log = new LogCapture();
  const d = await startDaemon(scope, { daemon: { logger: log.logger, ...(autoApprove === undefined ? {} : { autoApprove }) } });
  return { d, log };
}

/** Mints a QR code and starts the real join with it; also returns the secret token. */
async function qrJoin(d: RunningDaemon): Promise<{ join: StartedJoin; token: string }> {
  const code = await d.control.createPairingCode({ method: 'qr' });
  const qr = parseQrUri(code.uri);
  const join = startJoin(scope, d.address, '', {
    secret: { method: 'qr', codeId: qr.codeId, token: qr.token, caFingerprint: qr.caFingerprint },
  });
  return { join, token: code.code };
}

/** Collects the daemon's pairing.request events from now on. */
function pairingEvents(d: RunningDaemon): DaemonEvent[] {
  const abort = new AbortController();
  scope.defer(() => abort.abort());
  const events: DaemonEvent[] = [];
  void (async () => {
    for await (const event of d.control.streamEvents({ types: ['pairing.request'], signal: abort.signal })) events.push(event);
  })().catch(() => undefined);
  return events;
}

async function expectStillPending(d: RunningDaemon, requestId: string): Promise<void> {
  const pending = await d.control.listPending();
  expect(pending.map((r) => r.requestId)).toContain(requestId);
  expect(await d.control.listNodes()).toHaveLength(0);
}

describe('--auto-approve', { timeout: TEST_TIMEOUT_MS }, () => {
  it('qr: a QR-code node joins without any decision, through the ordinary issuance path', async () => {
    const { d, log } = await daemonWith('qr');
    expect((await d.control.status()).autoApprove).toBe('qr');
    const events = pairingEvents(d);
    const { join, token } = await qrJoin(d);
    const { requestId, sas } = await confirmedOrFailed(join);
    const identity = await join.result;

    // The certificate the node holds is the one the registry has, and it works for mTLS.
    const nodes = await d.control.listNodes();
    expect(nodes).toHaveLength(1);
    expect(nodes[0]?.deviceId).toBe(identity.deviceId);
    expect(nodes[0]?.certFingerprint).toBe(fingerprint(pemToDer(identity.certPem, 'CERTIFICATE')));
    const client = nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: identity.tlsPrivateKeyPem, certPem: identity.certPem }));
    expect((await registerNode(client, identity.deviceId)).ok).toBe(true);

    // Logged, with what an operator would have checked, and never the token.
    const line = await log.waitFor('pairing request auto-approved (--auto-approve)', { requestId });
    expect(line).toMatchObject({ deviceId: identity.deviceId, method: 'qr', sas, nodeName: 'it-node' });
    expect(log.text.some((text) => text.includes(token))).toBe(false);
    // The decision shows on the event stream like an operator's.
    await within(
      (async () => {
        while (!events.some((e) => e.type === 'pairing.request' && e.requestId === requestId && e.state === 'approved')) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })(),
      HAPPENS_WITHIN_MS,
      'the approved event',
    );
    expect(events.find((e) => e.type === 'pairing.request' && e.requestId === requestId)).toMatchObject({ state: 'pending_approval' });
  });

  it('qr: a PIN request still waits for an operator', async () => {
    const { d } = await daemonWith('qr');
    const { code: pin } = await d.control.createPairingCode({ method: 'pin' });
    const join = startJoin(scope, d.address, pin);
    const { requestId } = await confirmedOrFailed(join);
    await expectStillPending(d, requestId);
    // Still pending when the operator decides: had the policy approved it, this would be REQUEST_NOT_FOUND.
    expect((await d.control.decide(requestId, true)).state).toBe('approved');
    expect((await join.result).deviceId).toBeTruthy();
  });

  it('off by default: a QR request waits for an operator', async () => {
    const { d } = await daemonWith(undefined);
    expect((await d.control.status()).autoApprove).toBe('off');
    const { join } = await qrJoin(d);
    const { requestId } = await confirmedOrFailed(join);
    await expectStillPending(d, requestId);
    expect((await d.control.decide(requestId, false)).state).toBe('rejected');
    await expect(join.result).rejects.toMatchObject({ code: 'PALYRA_E_PAIRING_REJECTED' });
  });

  it('all: a PIN node joins without any decision; the PIN is never logged', async () => {
    const { d, log } = await daemonWith('all');
    const { code: pin } = await d.control.createPairingCode({ method: 'pin' });
    const join = startJoin(scope, d.address, pin);
    const { requestId, sas } = await confirmedOrFailed(join);
    const identity = await join.result;
    expect((await d.control.listNodes()).map((n) => n.deviceId)).toEqual([identity.deviceId]);
    expect(await log.waitFor('pairing request auto-approved (--auto-approve)', { requestId })).toMatchObject({ method: 'pin', sas });
    expect(log.text.some((text) => text.includes(pin))).toBe(false);
  });

  it('never approves a request that claims a registered device id with another identity key', async () => {
    const { d, log } = await daemonWith('all');
    const { code: firstPin } = await d.control.createPairingCode({ method: 'pin' });
    const victim = await startJoin(scope, d.address, firstPin).result;

    // Someone else, with a valid PIN, claims the registered node's device id under a new key.
    const { code: pin } = await d.control.createPairingCode({ method: 'pin' });
    const keys = generateNodeIdentityKeys();
    const tls = await generateTlsKeyPair();
    const probe = new PairProbe(scope, await pairingClient(scope, d));
    await confirmByHand(
      probe,
      pin,
      {
        deviceId: victim.deviceId,
        name: 'impostor',
        platform: 'linux-x64',
        hostname: 'elsewhere',
        agentVersion: '0.0.0-test',
        capabilities: [],
        ed25519PublicKey: keys.ed25519.publicKey,
        x25519PublicKey: keys.x25519.publicKey,
        csrDer: createCsr({ deviceId: victim.deviceId, privateKeyPem: tls.privateKeyPem }),
      },
      keys.ed25519.privateKey,
    );
    const requestId = (await probe.next()).confirm?.requestId ?? '';
    await log.waitFor(
      'pairing request not auto-approved: its device id belongs to a registered node with another identity key; an operator must decide',
      { requestId },
    );
    expect((await d.control.listPending()).map((r) => r.requestId)).toEqual([requestId]);
    const [node] = await d.control.listNodes();
    expect(node?.certFingerprint).toBe(fingerprint(pemToDer(victim.certPem, 'CERTIFICATE')));
  });
});
