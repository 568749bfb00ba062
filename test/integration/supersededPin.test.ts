/**
 * A join with a superseded PIN must not spend the new PIN's attempts (issue 12, "also seen"),
 * while an attacker still gets at most 5 online guesses per PIN. Real daemon in-process, the
 * agent's real joinDaemon for honest nodes, raw Pair streams for guesses.
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { PairServerMessage__Output, PairingServiceClient } from '@palyra/proto';
import { PAIRING_PROTOCOL, createCsr, generateNodeIdentityKeys, generateTlsKeyPair, newDeviceId, type NodeClaims } from '@palyra/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CA_SETUP_TIMEOUT_MS,
  PairProbe,
  Scope,
  TEST_TIMEOUT_MS,
  confirmedOrFailed,
  expectPalyraStatus,
  initiatorFor,
  pairingClient,
  prepareCas,
  startDaemon,
  startJoin,
  type CallOutcome,
  type RunningDaemon,
} from './harness.js';

let scope: Scope;
beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

const { PERMISSION_DENIED, FAILED_PRECONDITION } = grpc.status;

let tlsKey: Promise<{ privateKeyPem: string }> | undefined;

async function claims(): Promise<{ claims: NodeClaims; privateKey: Uint8Array }> {
  const deviceId = newDeviceId();
  const keys = generateNodeIdentityKeys();
  tlsKey ??= generateTlsKeyPair();
  return {
    claims: {
      deviceId,
      name: 'guesser',
      platform: 'linux-x64',
      hostname: 'guesser-host',
      agentVersion: '0.0.0-test',
      capabilities: [],
      ed25519PublicKey: keys.ed25519.publicKey,
      x25519PublicKey: keys.x25519.publicKey,
      csrDer: createCsr({ deviceId, privateKeyPem: (await tlsKey).privateKeyPem }),
    },
    privateKey: keys.ed25519.privateKey,
  };
}

/**
 * One raw PIN exchange, naming `codeId` ('' = the active PIN), keyed with `guess` (a PIN, or
 * random bytes for a wrong guess without scrypt's cost). Returns how the daemon ended it, or
 * 'confirmed' when it answered with its confirmation.
 */
async function exchange(client: PairingServiceClient, codeId: string, guess: string | Uint8Array): Promise<CallOutcome<never> | 'confirmed'> {
  const probe = new PairProbe(scope, client);
  const nodeNonce = randomBytes(32);
  probe.send({ hello: { protocol: PAIRING_PROTOCOL, method: 'PAIRING_METHOD_PIN', nonce: nodeNonce, codeId } });
  const hello = await Promise.race([probe.next(), probe.ended.then(() => undefined)]);
  if (hello?.serverHello == null) return probe.failure();
  const serverCertDer = probe.call.getAuthContext()?.sslPeerCertificate?.raw;
  if (serverCertDer === undefined) throw new Error('no server certificate');
  const initiator = await initiatorFor({ nodeNonce, serverHello: hello.serverHello, serverCertDer }, guess);
  probe.send({ share: { share: Buffer.from(initiator.share) } });
  initiator.receiveShare((await probe.next()).share?.share ?? Buffer.alloc(0));
  const { claims: nodeClaims, privateKey } = await claims();
  const { mac, signature } = initiator.confirm(nodeClaims, privateKey);
  probe.send({
    confirm: {
      ...nodeClaims,
      ed25519PublicKey: Buffer.from(nodeClaims.ed25519PublicKey),
      x25519PublicKey: Buffer.from(nodeClaims.x25519PublicKey),
      csrDer: Buffer.from(nodeClaims.csrDer),
      mac: Buffer.from(mac),
      signature: Buffer.from(signature),
    },
  });
  const reply = await Promise.race([probe.next(), probe.ended.then(() => undefined)]);
  if (reply?.confirm != null) return 'confirmed';
  return probe.failure();
}

/**
 * The daemon's answer to a PIN hello naming no code: the active code's id and the superseded
 * PINs' ids. The exchange goes no further (no share is sent), so it spends no attempt.
 */
async function codeIds(client: PairingServiceClient): Promise<PairServerMessage__Output['serverHello']> {
  const probe = new PairProbe(scope, client);
  probe.send({ hello: { protocol: PAIRING_PROTOCOL, method: 'PAIRING_METHOD_PIN', nonce: randomBytes(32), codeId: '' } });
  const hello = (await probe.next()).serverHello;
  probe.call.cancel();
  return hello;
}

function expectCode(outcome: CallOutcome<never> | 'confirmed', code: string, status: grpc.status, message?: RegExp): void {
  if (outcome === 'confirmed') throw new Error(`expected ${code}, the daemon confirmed`);
  const error = expectPalyraStatus(outcome, code, status);
  if (message !== undefined) expect(error.message).toMatch(message);
}

async function mintPin(d: RunningDaemon): Promise<string> {
  return (await d.control.createPairingCode({ method: 'pin' })).code;
}

/** The honest join with `pin`: confirmed, approved, certificate received. */
async function joinsWith(d: RunningDaemon, pin: string): Promise<void> {
  const join = startJoin(scope, d.address, pin, { name: 'honest' });
  await d.control.decide((await confirmedOrFailed(join)).requestId, true);
  await join.result;
}

describe('superseded PINs', { timeout: TEST_TIMEOUT_MS }, () => {
  it('a join with a superseded PIN is told so and spends none of the new PIN’s five attempts', async () => {
    const d = await startDaemon(scope);
    const oldPin = await mintPin(d);
    const newPin = await mintPin(d);
    // Two nodes still holding the old PIN.
    const staleErrors: unknown[] = [];
    for (let i = 0; i < 2; i++) staleErrors.push(await startJoin(scope, d.address, oldPin, { name: 'stale' }).result.catch((e: unknown) => e));
    expect(await d.control.listPending()).toEqual([]);

    // Four wrong guesses against the new PIN: it must still have its fifth attempt.
    const client = await pairingClient(scope, d);
    for (let i = 0; i < 4; i++) expectCode(await exchange(client, '', randomBytes(32)), 'PALYRA_E_PAIRING_FAILED', PERMISSION_DENIED);
    await joinsWith(d, newPin);
    expect((await d.control.listNodes()).map((n) => n.name)).toEqual(['honest']);
    // And the stale nodes were told why.
    for (const error of staleErrors) {
      expect(error).toMatchObject({ code: 'PALYRA_E_PAIRING_NO_CODE', message: expect.stringMatching(/replaced by a newer one/) });
    }
  });

  it('still gives an attacker at most 5 guesses per PIN, superseded or active', async () => {
    const d = await startDaemon(scope);
    const oldPin = await mintPin(d);
    const newPin = await mintPin(d);
    const client = await pairingClient(scope, d);
    const hello = await codeIds(client);
    const [oldId] = hello?.supersededCodeIds ?? [];
    const newId = hello?.codeId ?? '';
    expect(hello?.supersededCodeIds).toHaveLength(1);
    expect(oldId).toMatch(/^[0-9a-f-]{36}$/);
    expect(newId).toMatch(/^[0-9a-f-]{36}$/);

    // Five guesses against the superseded PIN, then it is no longer open at all.
    for (let i = 0; i < 5; i++) expectCode(await exchange(client, oldId ?? '', randomBytes(32)), 'PALYRA_E_PAIRING_FAILED', PERMISSION_DENIED);
    expectCode(await exchange(client, oldId ?? '', oldPin), 'PALYRA_E_PAIRING_NO_CODE', FAILED_PRECONDITION, /replaced by a newer one/);

    // Five against the active PIN (by id or not), then it is burned, the right PIN included.
    for (let i = 0; i < 5; i++) expectCode(await exchange(client, i % 2 === 0 ? '' : newId, randomBytes(32)), 'PALYRA_E_PAIRING_FAILED', PERMISSION_DENIED);
    expectCode(await exchange(client, '', newPin), 'PALYRA_E_PAIRING_CODE_BURNED', FAILED_PRECONDITION);
    expectCode(await exchange(client, newId, newPin), 'PALYRA_E_PAIRING_CODE_BURNED', FAILED_PRECONDITION);
    expect(await d.control.listPending()).toEqual([]);
  });

  it('a proven superseded PIN never pairs; the active PIN named by id does', async () => {
    const d = await startDaemon(scope);
    const oldPin = await mintPin(d);
    const newPin = await mintPin(d);
    const client = await pairingClient(scope, d);
    const hello = await codeIds(client);
    expectCode(await exchange(client, hello?.supersededCodeIds[0] ?? '', oldPin), 'PALYRA_E_PAIRING_NO_CODE', FAILED_PRECONDITION, /replaced by a newer one/);
    // A QR code's id is no PIN: naming it for a PIN exchange is refused at hello.
    const qr = await d.control.createPairingCode({ method: 'qr' });
    const qrId = new URL(qr.uri).searchParams.get('id') ?? '';
    expectCode(await exchange(client, qrId, newPin), 'PALYRA_E_PAIRING_NO_CODE', FAILED_PRECONDITION, /no PIN pairing code has this id/);
    expect(await exchange(client, hello?.codeId ?? '', newPin)).toBe('confirmed');
    expect((await d.control.listPending()).map((r) => r.name)).toEqual(['guesser']);
  });
});
