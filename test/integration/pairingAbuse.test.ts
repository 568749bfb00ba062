/**
 * A hostile peer on the real Pair stream (no client certificate, raw grpc client, after
 * GetPairingInfo): every protocol violation ends the stream with a PALYRA_E_* status carried in
 * the palyra-error-bin trailer, nothing PIN-dependent leaks, attempts are counted as the design
 * says, and the daemon keeps pairing honest nodes afterwards.
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { NodeConfirm, PairingServiceClient } from '@palyra/proto';
import { PAIRING_PROTOCOL, type PairingInitiator, createCsr, generateNodeIdentityKeys, generateTlsKeyPair, newDeviceId } from '@palyra/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CA_SETUP_TIMEOUT_MS,
  PairProbe,
  Scope,
  TEST_TIMEOUT_MS,
  confirmByHand,
  confirmedOrFailed,
  differentPin,
  expectPalyraStatus,
  initiatorFor,
  pairHello,
  pairNode,
  pairingClient,
  prepareCas,
  startDaemon,
  startJoin,
  within,
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

const { INVALID_ARGUMENT, FAILED_PRECONDITION, RESOURCE_EXHAUSTED } = grpc.status;

let tlsKey: Promise<{ privateKeyPem: string }> | undefined;

/** Well-formed claims with a real CSR; the MAC and signature are the caller's business. */
async function plausibleConfirm(): Promise<NodeConfirm & { claims: ReturnType<typeof claimsOf> }> {
  const deviceId = newDeviceId();
  const keys = generateNodeIdentityKeys();
  // One RSA key for all of them: key generation is slow and the key is not what is tested.
  tlsKey ??= generateTlsKeyPair();
  const tls = await tlsKey;
  const claims = claimsOf(deviceId, keys, createCsr({ deviceId, privateKeyPem: tls.privateKeyPem }));
  return { ...claims, claims, mac: randomBytes(64), signature: randomBytes(64) };
}

function claimsOf(deviceId: string, keys: ReturnType<typeof generateNodeIdentityKeys>, csrDer: Buffer) {
  return {
    deviceId,
    name: 'mallory',
    platform: 'linux-x64',
    hostname: 'mallory-host',
    agentVersion: '0.0.0-test',
    capabilities: [] as string[],
    ed25519PublicKey: Buffer.from(keys.ed25519.publicKey),
    x25519PublicKey: Buffer.from(keys.x25519.publicKey),
    csrDer,
    keys,
  };
}

/** The node's side of the exchange by hand with `pin`, with plausible claims (optionally altered). */
async function confirmWithPin(probe: PairProbe, pin: string, change: { csrDer?: Buffer } = {}): Promise<PairingInitiator> {
  const { claims } = await plausibleConfirm();
  const { keys, ...nodeClaims } = { ...claims, ...change };
  return confirmByHand(probe, pin, nodeClaims, keys.ed25519.privateKey);
}

/** A wrong key for CPace: as good as a wrong PIN guess for the daemon, without scrypt's cost. */
function wrongGuess(): Buffer {
  return randomBytes(32);
}

async function mintPin(d: RunningDaemon): Promise<string> {
  return (await d.control.createPairingCode({ method: 'pin' })).code;
}

/** Pairs a node with the real agent code: the daemon still serves after the abuse. */
async function expectStillServing(d: RunningDaemon, pin?: string): Promise<void> {
  if (pin === undefined) {
    await pairNode(scope, d, 'honest');
  } else {
    const join = startJoin(scope, d.address, pin, { name: 'honest' });
    await d.control.decide((await confirmedOrFailed(join)).requestId, true);
    await join.result;
  }
  expect((await d.control.listNodes()).map((n) => n.name)).toContain('honest');
}

function expectFailure(outcome: CallOutcome<never>, code: string, status: grpc.status, message: RegExp, what: string): void {
  expect(outcome.ok, what).toBe(false);
  const error = expectPalyraStatus(outcome, code, status);
  expect(error.message, what).toMatch(message);
}

describe('Pair stream: messages out of order and wrong protocol', { timeout: TEST_TIMEOUT_MS }, () => {
  it('refuses each violation with PALYRA_E_PAIRING_PROTOCOL, without spending the code', async () => {
    const d = await startDaemon(scope);
    const pin = await mintPin(d);
    const client = await pairingClient(scope, d);

    // share before hello
    let probe = new PairProbe(scope, client);
    probe.send({ share: { share: randomBytes(32) } });
    expectFailure(await probe.failure(), 'PALYRA_E_PAIRING_PROTOCOL', INVALID_ARGUMENT, /expected hello, got share/, 'share first');

    // confirm before hello
    probe = new PairProbe(scope, client);
    probe.send({ confirm: await plausibleConfirm() });
    expectFailure(await probe.failure(), 'PALYRA_E_PAIRING_PROTOCOL', INVALID_ARGUMENT, /expected hello, got confirm/, 'confirm first');

    // an empty message
    probe = new PairProbe(scope, client);
    probe.send({});
    expectFailure(await probe.failure(), 'PALYRA_E_PAIRING_PROTOCOL', INVALID_ARGUMENT, /expected hello, got an empty message/, 'empty');

    // confirm before share
    probe = new PairProbe(scope, client);
    await pairHello(probe);
    probe.send({ confirm: await plausibleConfirm() });
    expectFailure(await probe.failure(), 'PALYRA_E_PAIRING_PROTOCOL', INVALID_ARGUMENT, /expected share, got confirm/, 'confirm before share');

    // a second hello
    probe = new PairProbe(scope, client);
    await pairHello(probe);
    probe.send({ hello: { protocol: PAIRING_PROTOCOL, method: 'PAIRING_METHOD_PIN', nonce: randomBytes(32) } });
    expectFailure(await probe.failure(), 'PALYRA_E_PAIRING_PROTOCOL', INVALID_ARGUMENT, /expected share, got hello/, 'hello twice');

    // a wrong protocol string, and methods this daemon does not run
    for (const protocol of ['palyra-pair/0', 'palyra-pair/2', '', 'x'.repeat(10_000)]) {
      probe = new PairProbe(scope, client);
      probe.send({ hello: { protocol, method: 'PAIRING_METHOD_PIN', nonce: randomBytes(32) } });
      const outcome = await probe.failure();
      expectFailure(outcome, 'PALYRA_E_PAIRING_PROTOCOL', INVALID_ARGUMENT, /unsupported pairing protocol/, `protocol ${protocol.slice(0, 20)}`);
      expect(outcome.ok ? '' : outcome.palyra.message.length, 'the echoed protocol is truncated').toBeLessThan(200);
    }
    probe = new PairProbe(scope, client);
    probe.send({ hello: { protocol: PAIRING_PROTOCOL, method: 'PAIRING_METHOD_UNSPECIFIED', nonce: randomBytes(32) } });
    expectFailure(await probe.failure(), 'PALYRA_E_PAIRING_PROTOCOL', INVALID_ARGUMENT, /method/, 'method unspecified');
    // A QR hello cannot reach the active PIN: it must name a QR code, and none exists.
    probe = new PairProbe(scope, client);
    probe.send({ hello: { protocol: PAIRING_PROTOCOL, method: 'PAIRING_METHOD_QR', nonce: randomBytes(32), codeId: 'no-such-code' } });
    expectFailure(await probe.failure(), 'PALYRA_E_PAIRING_NO_CODE', FAILED_PRECONDITION, /code/, 'QR hello');

    // None of this reached the CPace exchange, so the (single-use, 5-attempt) PIN still works.
    expect(await d.control.listPending()).toEqual([]);
    await expectStillServing(d, pin);
  });
});

describe('Pair stream: malformed sizes', { timeout: TEST_TIMEOUT_MS }, () => {
  it('refuses bad hello and share sizes before any attempt is counted', async () => {
    const d = await startDaemon(scope);
    const pin = await mintPin(d);
    const client = await pairingClient(scope, d);

    for (const size of [0, 31, 33, 64 * 1024]) {
      const probe = new PairProbe(scope, client);
      probe.send({ hello: { protocol: PAIRING_PROTOCOL, method: 'PAIRING_METHOD_PIN', nonce: randomBytes(size) } });
      expectFailure(await probe.failure(), 'PALYRA_E_INVALID_ARGUMENT', INVALID_ARGUMENT, /hello\.nonce must be 32 bytes/, `nonce ${size}`);
    }
    for (const size of [0, 31, 33, 64 * 1024]) {
      const probe = new PairProbe(scope, client);
      await pairHello(probe);
      probe.send({ share: { share: randomBytes(size) } });
      const outcome = await probe.failure();
      expectFailure(outcome, 'PALYRA_E_INVALID_ARGUMENT', INVALID_ARGUMENT, new RegExp(`share must be 32 bytes, got ${size}`), `share ${size}`);
    }

    // 8 size violations after hello, none counted: the PIN still pairs.
    await expectStillServing(d, pin);
  });

  it('refuses oversized and malformed confirm fields with a clear error and queues nothing', async () => {
    const d = await startDaemon(scope);
    const client = await pairingClient(scope, d);

    const cases: Array<{ what: string; tamper: (c: NodeConfirm) => NodeConfirm; code: string; status: grpc.status; message: RegExp }> = [
      { what: 'name of 5000 chars', tamper: (c) => ({ ...c, name: 'n'.repeat(5000) }), code: 'PALYRA_E_INVALID_ARGUMENT', status: INVALID_ARGUMENT, message: /name is longer than 128/ },
      { what: 'hostname of 64 KiB', tamper: (c) => ({ ...c, hostname: 'h'.repeat(65_536) }), code: 'PALYRA_E_INVALID_ARGUMENT', status: INVALID_ARGUMENT, message: /hostname is longer than 255/ },
      { what: 'device id of 27 chars', tamper: (c) => ({ ...c, deviceId: `${c.deviceId ?? ''}0` }), code: 'PALYRA_E_INVALID_ARGUMENT', status: INVALID_ARGUMENT, message: /deviceId is longer than 26/ },
      { what: '300 capabilities', tamper: (c) => ({ ...c, capabilities: Array.from({ length: 300 }, (_v, i) => `cap.${i}`) }), code: 'PALYRA_E_INVALID_ARGUMENT', status: INVALID_ARGUMENT, message: /capabilities has more than 256/ },
      { what: 'control characters in the name', tamper: (c) => ({ ...c, name: 'evil\u001b[2J' }), code: 'PALYRA_E_INVALID_ARGUMENT', status: INVALID_ARGUMENT, message: /name contains control, format or invisible characters/ },
      { what: 'CSR of 17 KiB', tamper: (c) => ({ ...c, csrDer: randomBytes(17 * 1024) }), code: 'PALYRA_E_INVALID_ARGUMENT', status: INVALID_ARGUMENT, message: /csr is larger than 16384 bytes/ },
      { what: 'Ed25519 key of 31 bytes', tamper: (c) => ({ ...c, ed25519PublicKey: randomBytes(31) }), code: 'PALYRA_E_INVALID_ARGUMENT', status: INVALID_ARGUMENT, message: /ed25519PublicKey must be 32 bytes/ },
      { what: 'X25519 key of 33 bytes', tamper: (c) => ({ ...c, x25519PublicKey: randomBytes(33) }), code: 'PALYRA_E_INVALID_ARGUMENT', status: INVALID_ARGUMENT, message: /x25519PublicKey must be 32 bytes/ },
      { what: 'MAC of 1 KiB', tamper: (c) => ({ ...c, mac: randomBytes(1024) }), code: 'PALYRA_E_INVALID_ARGUMENT', status: INVALID_ARGUMENT, message: /mac is larger than 128 bytes/ },
      { what: 'MAC of 65 bytes', tamper: (c) => ({ ...c, mac: randomBytes(65) }), code: 'PALYRA_E_PAIRING_PROTOCOL', status: INVALID_ARGUMENT, message: /'mac' must be 64 bytes/ },
      { what: 'signature of 63 bytes', tamper: (c) => ({ ...c, signature: randomBytes(63) }), code: 'PALYRA_E_PAIRING_PROTOCOL', status: INVALID_ARGUMENT, message: /'signature' must be 64 bytes/ },
      { what: 'low-order X25519 key', tamper: (c) => ({ ...c, x25519PublicKey: Buffer.alloc(32) }), code: 'PALYRA_E_PAIRING_PROTOCOL', status: INVALID_ARGUMENT, message: /x25519PublicKey' is a low-order point/ },
    ];
    for (const [i, c] of cases.entries()) {
      // Each of these got past the share, so each spends an attempt: a fresh PIN every 4.
      if (i % 4 === 0) await mintPin(d);
      const probe = new PairProbe(scope, client);
      const h = await pairHello(probe);
      const initiator = await initiatorFor(h, wrongGuess());
      probe.send({ share: { share: Buffer.from(initiator.share) } });
      expect((await probe.next()).body, c.what).toBe('share');
      const { claims: _claims, ...confirm } = await plausibleConfirm();
      probe.send({ confirm: c.tamper(confirm) });
      expectFailure(await probe.failure(), c.code, c.status, c.message, c.what);
    }
    expect(await d.control.listPending()).toEqual([]);
    await expectStillServing(d);
  });

  it('refuses a garbage CSR even with the right PIN (PALYRA_E_CERT_INVALID) and queues nothing', async () => {
    const d = await startDaemon(scope);
    const pin = await mintPin(d);
    const probe = new PairProbe(scope, await pairingClient(scope, d));
    await confirmWithPin(probe, pin, { csrDer: randomBytes(600) });
    expectFailure(await probe.failure(), 'PALYRA_E_CERT_INVALID', INVALID_ARGUMENT, /CSR was rejected/, 'garbage CSR');
    expect(await d.control.listPending()).toEqual([]);
    await expectStillServing(d);
  });

  it('refuses a message above the 4 MiB limit at the gRPC layer and keeps serving', async () => {
    const d = await startDaemon(scope);
    const probe = new PairProbe(scope, await pairingClient(scope, d));
    probe.send({ hello: { protocol: PAIRING_PROTOCOL, method: 'PAIRING_METHOD_PIN', nonce: randomBytes(5 * 1024 * 1024) } });
    const outcome = await probe.failure();
    // grpc-js refuses it before any handler runs: a plain status, no Palyra trailer.
    expect(outcome.ok ? -1 : outcome.error.code).toBe(RESOURCE_EXHAUSTED);
    await expectStillServing(d);
  });
});

describe('Pair stream: low-order CPace shares', { timeout: TEST_TIMEOUT_MS }, () => {
  // u-coordinates whose X25519 result is the identity for every clamped scalar (RFC 7748
  // decoding: bit 255 masked, values >= p reduced): 0 and 1, the two points of order 8, p-1,
  // p and p+1 (non-canonical 0 and 1), and each of them again with bit 255 set.
  const canonical = [
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0100000000000000000000000000000000000000000000000000000000000000',
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
    '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  ];
  const hex = [
    ...canonical,
    ...canonical.map((h) => {
      const bytes = Buffer.from(h, 'hex');
      bytes[31] = bytes[31]! | 0x80;
      return bytes.toString('hex');
    }),
  ];

  it('refuses each with PALYRA_E_PAIRING_PROTOCOL and never answers with the daemon share', async () => {
    const d = await startDaemon(scope);
    const client = await pairingClient(scope, d);
    for (const [i, point] of hex.entries()) {
      // Each one spends an attempt (counted before anything PIN-dependent is computed): a
      // fresh PIN every 4, well within the 5 a code allows.
      if (i % 4 === 0) await mintPin(d);
      const probe = new PairProbe(scope, client);
      await pairHello(probe);
      probe.send({ share: { share: Buffer.from(point, 'hex') } });
      // failure() also fails if the daemon answered with its share instead.
      expectFailure(await probe.failure(), 'PALYRA_E_PAIRING_PROTOCOL', INVALID_ARGUMENT, /low-order CPace share/, point);
      expect(probe.unread, `no daemon share after ${point}`).toEqual([]);
    }
    expect(await d.control.listPending()).toEqual([]);
    await expectStillServing(d);
  });
});

describe('Pair stream: attempts that hang up', { timeout: TEST_TIMEOUT_MS }, () => {
  /** hello, a share for a wrong guess, the daemon's share back, then the peer goes away. */
  async function hangUpAfterShare(client: PairingServiceClient, how: 'cancel' | 'end'): Promise<void> {
    const probe = new PairProbe(scope, client);
    const h = await pairHello(probe);
    const initiator = await initiatorFor(h, wrongGuess());
    probe.send({ share: { share: Buffer.from(initiator.share) } });
    expect((await probe.next()).body).toBe('share');
    if (how === 'cancel') {
      probe.call.cancel();
      await probe.ended;
    } else {
      // A half-close: the daemon must end the stream itself, not keep it open forever.
      probe.call.end();
      const outcome = await within(probe.failure(), 10_000, 'the daemon to end a half-closed Pair stream');
      expectFailure(outcome, 'PALYRA_E_PAIRING_PROTOCOL', INVALID_ARGUMENT, /closed its side/, 'half-close');
    }
  }

  it('counts a peer that sends hello and share then hangs up: 5 of them burn the code', async () => {
    const d = await startDaemon(scope);
    const pin = await mintPin(d);
    const client = await pairingClient(scope, d);
    for (let i = 0; i < 5; i += 1) await hangUpAfterShare(client, i % 2 === 0 ? 'cancel' : 'end');

    // A sixth attempt is refused at hello, before any CPace message.
    const probe = new PairProbe(scope, client);
    probe.send({ hello: { protocol: PAIRING_PROTOCOL, method: 'PAIRING_METHOD_PIN', nonce: randomBytes(32) } });
    expectFailure(await probe.failure(), 'PALYRA_E_PAIRING_CODE_BURNED', FAILED_PRECONDITION, /burned after 5 attempts/, 'sixth');

    // Even the right PIN no longer works.
    const join = startJoin(scope, d.address, pin);
    await expect(join.result).rejects.toMatchObject({ code: 'PALYRA_E_PAIRING_CODE_BURNED' });
    expect(await d.control.listPending()).toEqual([]);
    await expectStillServing(d);
  });

  it('still pairs with the right PIN after 4 spent attempts (hang-ups and wrong PINs)', async () => {
    const d = await startDaemon(scope);
    const pin = await mintPin(d);
    const client = await pairingClient(scope, d);
    await hangUpAfterShare(client, 'cancel');
    await hangUpAfterShare(client, 'end');
    for (let i = 0; i < 2; i += 1) {
      const wrong = startJoin(scope, d.address, differentPin(pin));
      await expect(wrong.result).rejects.toMatchObject({ code: 'PALYRA_E_PAIRING_FAILED' });
    }
    await expectStillServing(d, pin);
  });

  it('keeps a stream half-closed after a valid confirm open for the decision', async () => {
    const d = await startDaemon(scope);
    const pin = await mintPin(d);
    const probe = new PairProbe(scope, await pairingClient(scope, d));
    const initiator = await confirmWithPin(probe, pin);
    // The node has nothing more to send once it confirmed: a half-close is legitimate here.
    probe.call.end();
    const confirm = await probe.next();
    expect(confirm.body).toBe('confirm');
    initiator.verifyDaemonConfirm(confirm.confirm?.mac ?? Buffer.alloc(0));
    expect((await probe.next()).decision?.state).toBe('STATE_PENDING_APPROVAL');

    await d.control.decide(confirm.confirm?.requestId ?? '', true);
    const decision = await within(probe.next(), 10_000, 'the decision on a half-closed stream');
    expect(decision.decision?.state).toBe('STATE_APPROVED');
    expect(decision.decision?.certDer.length).toBeGreaterThan(0);
    expect((await probe.ended).ok).toBe(true);
  });

  it('lets no more than 5 concurrent attempts reach the CPace exchange', async () => {
    const d = await startDaemon(scope);
    const pin = await mintPin(d);
    const client = await pairingClient(scope, d);
    const probes = Array.from({ length: 8 }, () => new PairProbe(scope, client));
    const hellos = await Promise.all(probes.map((p) => pairHello(p)));
    const initiators = await Promise.all(hellos.map((h) => initiatorFor(h, wrongGuess())));
    probes.forEach((p, i) => p.send({ share: { share: Buffer.from(initiators[i]!.share) } }));

    const outcomes = await Promise.all(
      probes.map(async (p) => {
        const message = await p.next().catch(() => undefined);
        if (message !== undefined) return message.body;
        const failed = await p.failure();
        return failed.ok ? 'ok' : failed.palyra.code;
      }),
    );
    expect(outcomes.filter((o) => o === 'share')).toHaveLength(5);
    expect(outcomes.filter((o) => o === 'PALYRA_E_PAIRING_CODE_BURNED')).toHaveLength(3);
    const join = startJoin(scope, d.address, pin);
    await expect(join.result).rejects.toMatchObject({ code: 'PALYRA_E_PAIRING_CODE_BURNED' });
  });
});
