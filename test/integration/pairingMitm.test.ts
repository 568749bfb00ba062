/**
 * A man-in-the-middle between a real node (joinDaemon) and the real daemon, over real gRPC. It
 * terminates TLS with its own CA (it cannot present a daemon certificate of the real CA) and
 * proxies PairingService upstream. It does not know the PIN.
 *
 * - substitute: it runs CPace on both sides with a wrong PIN guess (PairingInitiator toward
 *   the daemon, PairingResponder toward the node) and forges the daemon's confirmation;
 * - relay: it passes the CPace messages through untouched while the node holds the right PIN,
 *   hoping the two ends agree on a key it can ride along with.
 *
 * Either way neither side completes, the node's join rejects and nothing reaches the
 * approval queue; the attacker spent at most one of the code's five attempts.
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  loadPalyraProto,
  type PairClientMessage__Output,
  type PairServerMessage,
  type PairingServiceClient,
  type PairingServiceHandlers,
} from '@palyra/proto';
import {
  PAIRING_PROTOCOL,
  PairingInitiator,
  PairingResponder,
  PalyraError,
  derToPem,
  derivePinPrs,
  fingerprint,
  generateNodeIdentityKeys,
  type NodeClaims,
} from '@palyra/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CA_SETUP_TIMEOUT_MS,
  PairProbe,
  RAW_CHANNEL_OPTIONS,
  Scope,
  TEST_TIMEOUT_MS,
  confirmedOrFailed,
  differentPin,
  foreignCa,
  pairingInfo,
  prepareCas,
  startDaemon,
  startJoin,
  type RunningDaemon,
} from './harness.js';

let scope: Scope;
beforeAll(() => prepareCas('daemon', 'stranger'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

type Mode = { kind: 'substitute'; guess: string } | { kind: 'relay' };

interface MitmLog {
  pairStreams: number;
  /** What the MITM's own CPace responder said of the node's confirm (substitute mode). */
  nodeConfirmCheck?: string;
  /** How the daemon answered the confirm the MITM sent or relayed (an error code, or what it sent). */
  daemonAnswer?: string;
}

/** Reads a server-side stream one message at a time. */
class Inbox<T> {
  private readonly queue: T[] = [];
  private readonly waiters: Array<() => void> = [];
  private closed: Error | undefined;

  constructor(stream: NodeJS.EventEmitter) {
    stream.on('data', (message: T) => {
      this.queue.push(message);
      this.wake();
    });
    const close = (reason: string) => (): void => {
      this.closed ??= new Error(reason);
      this.wake();
    };
    stream.on('end', close('the node ended the stream'));
    stream.on('error', close('the stream failed'));
    stream.on('cancelled', close('the node cancelled'));
  }

  async next(): Promise<T> {
    for (;;) {
      const message = this.queue.shift();
      if (message !== undefined) return message;
      if (this.closed !== undefined) throw this.closed;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

/** Starts the MITM in front of `d`; returns its address and what it observed. */
async function startMitm(
  d: RunningDaemon,
  mode: Mode,
  options: { advertiseRealCa?: boolean } = {},
): Promise<{ address: string; log: MitmLog }> {
  const log: MitmLog = { pairStreams: 0 };
  // The attacker's own CA, with a certificate that looks like a daemon's (URI urn:palyra:daemon,
  // serverAuth): it passes the node's daemon-certificate check, under the attacker's CA.
  const attackerCa = await foreignCa(scope);
  const attackerTls = await attackerCa.ensureServerCertificate({ hosts: ['127.0.0.1'] });
  const attackerServerFingerprint = Buffer.from(attackerTls.fingerprint, 'hex');

  const { PairingService } = loadPalyraProto();
  // The attacker reaches the real daemon like any node does: no client certificate.
  const bootstrap = scope.client(
    new PairingService(d.address, grpc.credentials.createSsl(null, null, null, { rejectUnauthorized: false }), RAW_CHANNEL_OPTIONS),
  );
  const realCaDer = (await pairingInfo(bootstrap)).caCertDer;
  const upstreamClient: PairingServiceClient = scope.client(
    new PairingService(
      d.address,
      grpc.credentials.createSsl(Buffer.from(derToPem(realCaDer, 'CERTIFICATE')), null, null, { checkServerIdentity: () => undefined }),
      RAW_CHANNEL_OPTIONS,
    ),
  );

  async function proxy(down: grpc.ServerDuplexStream<PairClientMessage__Output, PairServerMessage>): Promise<void> {
    const fromNode = new Inbox<PairClientMessage__Output>(down);
    const up = new PairProbe(scope, upstreamClient);
    const toNode = (message: PairServerMessage): void => {
      if (!down.writableEnded && !down.destroyed) down.write(message);
    };

    // hello: passed through.
    const hello = (await fromNode.next()).hello;
    if (hello == null) throw new Error('the node did not start with hello');
    up.send({ hello });
    const serverHello = (await up.next()).serverHello;
    const realServerCertDer = up.call.getAuthContext()?.sslPeerCertificate?.raw;
    if (serverHello == null || realServerCertDer === undefined) throw new Error('no serverHello from the daemon');
    // The node verifies TLS against the CA named here, so it must be the attacker's.
    toNode({ serverHello: { ...serverHello, caCertDer: attackerCa.caCertDer } });

    const nodeShare = (await fromNode.next()).share?.share;
    if (nodeShare === undefined) throw new Error('the node sent no share');

    let towardDaemon: PairingInitiator | undefined;
    let towardNode: PairingResponder | undefined;
    if (mode.kind === 'substitute') {
      const prs = await derivePinPrs(mode.guess, serverHello.pinSalt);
      towardDaemon = PairingInitiator.create({
        prs,
        method: 'pin',
        nodeNonce: hello.nonce,
        daemonNonce: serverHello.nonce,
        caCertDer: realCaDer,
        serverCertFingerprint: Buffer.from(fingerprint(realServerCertDer), 'hex'),
      });
      towardNode = PairingResponder.create({
        prs,
        method: 'pin',
        nodeNonce: hello.nonce,
        daemonNonce: serverHello.nonce,
        caCertDer: attackerCa.caCertDer,
        serverCertFingerprint: attackerServerFingerprint,
      });
      up.send({ share: { share: Buffer.from(towardDaemon.share) } });
      const daemonShare = (await up.next()).share?.share;
      if (daemonShare === undefined) throw new Error('the daemon sent no share');
      towardDaemon.receiveShare(daemonShare);
      toNode({ share: { share: Buffer.from(towardNode.receiveShare(nodeShare)) } });
    } else {
      up.send({ share: { share: nodeShare } });
      const daemonShare = (await up.next()).share?.share;
      if (daemonShare === undefined) throw new Error('the daemon sent no share');
      toNode({ share: { share: daemonShare } });
    }

    const confirm = (await fromNode.next()).confirm;
    if (confirm == null) throw new Error('the node sent no confirm');
    if (mode.kind === 'substitute') {
      const claims: NodeClaims = { ...confirm };
      try {
        towardNode?.verifyNodeConfirm(claims, confirm.mac, confirm.signature);
        log.nodeConfirmCheck = 'verified';
      } catch (error) {
        log.nodeConfirmCheck = PalyraError.from(error).code;
      }
      // Toward the daemon: the node's claims under the attacker's own identity key.
      const keys = generateNodeIdentityKeys();
      const forged = { ...claims, ed25519PublicKey: keys.ed25519.publicKey };
      const { mac, signature } = (towardDaemon as PairingInitiator).confirm(forged, keys.ed25519.privateKey);
      up.send({
        confirm: {
          ...forged,
          ed25519PublicKey: Buffer.from(forged.ed25519PublicKey),
          mac: Buffer.from(mac),
          signature: Buffer.from(signature),
        },
      });
    } else {
      up.send({ confirm });
    }

    // The daemon's answer to the confirm: failure() throws if it went on with the exchange.
    let failed: Awaited<ReturnType<PairProbe['failure']>> | undefined;
    try {
      failed = await up.failure();
      log.daemonAnswer = failed.ok ? 'OK' : failed.palyra.code;
    } catch (error) {
      log.daemonAnswer = `answered: ${error instanceof Error ? error.message : String(error)}`;
    }

    if (mode.kind === 'substitute') {
      // Forge the daemon's confirmation: the node must check it itself, not trust an error.
      toNode({ confirm: { mac: randomBytes(64), requestId: '01JZZZZZZZZZZZZZZZZZZZZZZZ', repair: false } });
      toNode({ decision: { state: 'STATE_PENDING_APPROVAL', certDer: Buffer.alloc(0), expiresAt: new Date(Date.now() + 60_000).toISOString() } });
    } else if (failed !== undefined && !failed.ok) {
      // Pass the daemon's failure on, trailer included.
      down.emit('error', { code: failed.error.code, details: failed.error.details, metadata: failed.error.metadata });
      return;
    }
    await fromNode.next().catch(() => undefined);
    if (!down.writableEnded) down.end();
  }

  const handlers: PairingServiceHandlers = {
    GetPairingInfo(_call, callback) {
      const caCertDer = options.advertiseRealCa === true ? realCaDer : attackerCa.caCertDer;
      callback(null, { protocol: PAIRING_PROTOCOL, caCertDer, daemonVersion: 'mitm' });
    },
    Pair(down) {
      log.pairStreams += 1;
      proxy(down).catch((error: unknown) => {
        if (!down.writableEnded && !down.destroyed) down.emit('error', { code: grpc.status.INTERNAL, details: String(error) });
      });
    },
  };
  const server = scope.server(new grpc.Server());
  server.addService(loadPalyraProto().PairingService.service, handlers);
  const credentials = grpc.ServerCredentials.createSsl(
    null,
    [{ private_key: Buffer.from(attackerTls.keyPem), cert_chain: Buffer.from(attackerTls.certPem) }],
    false,
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  return { address: `127.0.0.1:${port}`, log };
}

describe('pairing through a man-in-the-middle', { timeout: TEST_TIMEOUT_MS }, () => {
  it('fails on both sides when the MITM substitutes CPace shares computed from a wrong PIN guess', async () => {
    const d = await startDaemon(scope);
    const { code: pin } = await d.control.createPairingCode({ method: 'pin' });
    const mitm = await startMitm(d, { kind: 'substitute', guess: differentPin(pin) });

    let confirmedByNode = false;
    const join = startJoin(scope, mitm.address, pin, { onConfirmed: () => (confirmedByNode = true) });
    await expect(join.result).rejects.toMatchObject({ code: 'PALYRA_E_PAIRING_FAILED' });

    expect(mitm.log.pairStreams).toBe(1);
    expect(confirmedByNode, 'the node must never show a SAS for this exchange').toBe(false);
    expect(mitm.log.nodeConfirmCheck, "the MITM cannot verify the node's confirm").toBe('PALYRA_E_PAIRING_FAILED');
    expect(mitm.log.daemonAnswer, "the daemon refuses the MITM's confirm").toBe('PALYRA_E_PAIRING_FAILED');
    expect(await d.control.listPending(), 'nothing reaches the approval queue').toEqual([]);
    expect(await d.control.listNodes()).toEqual([]);

    // The MITM spent one attempt of five: the operator's PIN still pairs the node directly.
    const direct = startJoin(scope, d.address, pin);
    await d.control.decide((await confirmedOrFailed(direct)).requestId, true);
    await expect(direct.result).resolves.toMatchObject({ caFingerprint: d.daemon.info.caFingerprint });
  });

  it('fails when the MITM only relays while the node has the right PIN (CA and TLS binding)', async () => {
    const d = await startDaemon(scope);
    const { code: pin } = await d.control.createPairingCode({ method: 'pin' });
    const mitm = await startMitm(d, { kind: 'relay' });

    let confirmedByNode = false;
    const join = startJoin(scope, mitm.address, pin, { onConfirmed: () => (confirmedByNode = true) });
    await expect(join.result).rejects.toMatchObject({ code: 'PALYRA_E_PAIRING_FAILED' });

    expect(mitm.log.pairStreams).toBe(1);
    expect(confirmedByNode).toBe(false);
    // The node's real confirm, with the right PIN, does not verify at the daemon: the node bound
    // the exchange to the attacker's CA and TLS certificate, the daemon to its own.
    expect(mitm.log.daemonAnswer).toBe('PALYRA_E_PAIRING_FAILED');
    expect(await d.control.listPending()).toEqual([]);
    expect(await d.control.listNodes()).toEqual([]);
  });

  it('never opens the Pair stream to a MITM that hands out the real CA (it has no daemon certificate of it)', async () => {
    const d = await startDaemon(scope);
    const { code: pin } = await d.control.createPairingCode({ method: 'pin' });
    const mitm = await startMitm(d, { kind: 'relay' }, { advertiseRealCa: true });

    const join = startJoin(scope, mitm.address, pin);
    await expect(join.result).rejects.toMatchObject({ code: 'PALYRA_E_DAEMON_UNREACHABLE' });
    await expect(join.result).rejects.toThrow(/certificate/i);
    expect(mitm.log.pairStreams).toBe(0);
    expect(await d.control.listPending()).toEqual([]);
  });
});
