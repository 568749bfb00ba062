import { randomBytes } from 'node:crypto';
import { hexToBytes } from '@noble/hashes/utils.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { certificateFingerprint, channelIdentifier, deriveSessionId } from '../../src/pairing/binding.js';
import { calculateGenerator, deriveIsk, sampleScalar, scalarMult, scalarMultVfy } from '../../src/pairing/cpace.js';
import {
  daemonConfirmationKey,
  daemonConfirmationMac,
  extractPairingKey,
} from '../../src/pairing/keySchedule.js';
import {
  PairingInitiator,
  PairingResponder,
  derivePinPrs,
  deriveQrPrs,
  generateNodeIdentityKeys,
  type NodeClaims,
} from '../../src/pairing/index.js';
import { hashTranscript } from '../../src/pairing/transcript.js';
import { x25519LowOrder } from './fixtures/cpace-x25519-sha512.js';
import {
  expectPalyraError,
  flipBit,
  makeClaims,
  makeHellos,
  runUntilNodeConfirm,
  sessionParams,
  type Hellos,
} from './helpers.js';

const SAS_FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;
const salt = new Uint8Array(16).fill(7);

// The only two scrypt runs of the pairing tests.
let pinPrs: Uint8Array;
let wrongPinPrs: Uint8Array;
beforeAll(async () => {
  [pinPrs, wrongPinPrs] = await Promise.all([derivePinPrs('482916', salt), derivePinPrs('482917', salt)]);
});

/** PRS for tests that are not about the PIN itself: cheap, and just as good for CPace. */
function qrPrs(): Uint8Array {
  return deriveQrPrs(new Uint8Array(randomBytes(16)), salt);
}

describe('pairing round trip', () => {
  it('both sides confirm and show the same SAS (PIN method)', () => {
    const { node, daemon, claims, confirmation } = runUntilNodeConfirm(pinPrs, pinPrs);
    daemon.verifyNodeConfirm(claims, confirmation.mac, confirmation.signature);
    node.verifyDaemonConfirm(daemon.confirm());
    expect(node.sas).toMatch(SAS_FORMAT);
    expect(node.sas).toBe(daemon.sas);
    expect(node.phase).toBe('done');
    expect(daemon.phase).toBe('done');
  });

  it('works the same way with a QR-derived PRS', () => {
    const prs = qrPrs();
    const { node, daemon, claims, confirmation } = runUntilNodeConfirm(prs, prs, makeHellos('qr'));
    daemon.verifyNodeConfirm(claims, confirmation.mac, confirmation.signature);
    node.verifyDaemonConfirm(daemon.confirm());
    expect(node.sas).toBe(daemon.sas);
  });

  it('gives different SAS values in different attempts', () => {
    const prs = qrPrs();
    const sas = [0, 1].map(() => {
      const { node, daemon, claims, confirmation } = runUntilNodeConfirm(prs, prs);
      daemon.verifyNodeConfirm(claims, confirmation.mac, confirmation.signature);
      node.verifyDaemonConfirm(daemon.confirm());
      return node.sas;
    });
    expect(sas[0]).not.toBe(sas[1]);
  });
});

describe('inputs as gRPC delivers them', () => {
  it('accepts Buffers everywhere and keeps its own copies of them', () => {
    const prs = qrPrs();
    const hellos = makeHellos();
    const node = PairingInitiator.create(sessionParams(prs, hellos));
    const daemon = PairingResponder.create(sessionParams(Buffer.from(prs), {
      ...hellos,
      nodeNonce: Buffer.from(hellos.nodeNonce),
    }));
    const yaOnWire = Buffer.from(node.share);
    const ybOnWire = Buffer.from(daemon.receiveShare(yaOnWire));
    yaOnWire.fill(0); // the daemon must not have kept a view of the message buffer
    node.receiveShare(ybOnWire);
    const keys = generateNodeIdentityKeys();
    const claims = makeClaims(keys);
    const { mac, signature } = node.confirm(claims, keys.ed25519.privateKey);
    const wireClaims: NodeClaims = {
      ...claims,
      ed25519PublicKey: Buffer.from(claims.ed25519PublicKey),
      x25519PublicKey: Buffer.from(claims.x25519PublicKey),
      csrDer: Buffer.from(claims.csrDer),
    };
    daemon.verifyNodeConfirm(wireClaims, Buffer.from(mac), Buffer.from(signature));
    node.verifyDaemonConfirm(Buffer.from(daemon.confirm()));
    expect(node.sas).toBe(daemon.sas);
  });
});

describe('wrong PIN', () => {
  it('the daemon rejects the node confirmation with PALYRA_E_PAIRING_FAILED', () => {
    const { daemon, claims, confirmation } = runUntilNodeConfirm(wrongPinPrs, pinPrs);
    const error = expectPalyraError(
      () => daemon.verifyNodeConfirm(claims, confirmation.mac, confirmation.signature),
      'PALYRA_E_PAIRING_FAILED',
    );
    expect(error.message).toContain('wrong PIN or tampered exchange');
    expect(error.message).not.toContain('482916');
    expect(error.message).not.toContain('482917');
    // Single use: the failed session hands out nothing and accepts nothing.
    expect(daemon.phase).toBe('failed');
    expectPalyraError(() => daemon.confirm(), 'PALYRA_E_PAIRING_PROTOCOL');
    expectPalyraError(() => daemon.sas, 'PALYRA_E_PAIRING_PROTOCOL');
  });
});

/**
 * A man in the middle that does not know the PIN runs CPace with each side using its guess,
 * and then does the best it can: the MACs it can compute from its own view of the keys.
 */
describe('man in the middle with a wrong PIN guess', () => {
  it('cannot make either confirmation verify', () => {
    const guess = wrongPinPrs;
    const hellos = makeHellos();
    const params = sessionParams(pinPrs, hellos);

    const node = PairingInitiator.create(params);
    const daemon = PairingResponder.create(params);

    // Towards the node, the attacker plays the daemon with its guess, by hand so it can
    // forge the daemon confirmation from its own ISK.
    const ci = channelIdentifier(hellos.method, certificateFingerprint(hellos.caCertDer), params.serverCertFingerprint);
    const sid = deriveSessionId(hellos.nodeNonce, hellos.daemonNonce);
    const yb = sampleScalar();
    const Yb = scalarMult(yb, calculateGenerator(guess, ci, sid));
    const Ya = node.share;
    node.receiveShare(Yb);
    const isk = deriveIsk(sid, scalarMultVfy(yb, Ya), { ya: Ya, ada: new Uint8Array(0), yb: Yb, adb: new Uint8Array(0) });

    // Towards the daemon, the attacker plays the node with the same guess.
    const fakeNode = PairingInitiator.create({ ...params, prs: guess });
    fakeNode.receiveShare(daemon.receiveShare(fakeNode.share));

    // The node confirms to the attacker. Forwarding that confirmation to the daemon fails...
    const keys = generateNodeIdentityKeys();
    const claims = makeClaims(keys);
    const nodeConfirm = node.confirm(claims, keys.ed25519.privateKey);
    expectPalyraError(
      () => daemon.verifyNodeConfirm(claims, nodeConfirm.mac, nodeConfirm.signature),
      'PALYRA_E_PAIRING_FAILED',
    );

    // ...and so does the attacker's own confirmation, made with its guessed keys.
    const daemon2 = PairingResponder.create(params);
    const fakeNode2 = PairingInitiator.create({ ...params, prs: guess });
    fakeNode2.receiveShare(daemon2.receiveShare(fakeNode2.share));
    const attackerKeys = generateNodeIdentityKeys();
    const attackerClaims = makeClaims(attackerKeys);
    const forged = fakeNode2.confirm(attackerClaims, attackerKeys.ed25519.privateKey);
    expectPalyraError(
      () => daemon2.verifyNodeConfirm(attackerClaims, forged.mac, forged.signature),
      'PALYRA_E_PAIRING_FAILED',
    );

    // The daemon confirmation the attacker can compute for the node does not verify either.
    const transcriptHash = hashTranscript({
      method: hellos.method,
      sid,
      nodeNonce: hellos.nodeNonce,
      daemonNonce: hellos.daemonNonce,
      caFingerprint: certificateFingerprint(hellos.caCertDer),
      serverCertFingerprint: params.serverCertFingerprint,
      ya: Ya,
      yb: Yb,
      claims,
    });
    const forgedDaemonMac = daemonConfirmationMac(
      daemonConfirmationKey(extractPairingKey(isk)),
      transcriptHash,
      nodeConfirm.mac,
    );
    expectPalyraError(() => node.verifyDaemonConfirm(forgedDaemonMac), 'PALYRA_E_PAIRING_FAILED');
    expectPalyraError(() => node.sas, 'PALYRA_E_PAIRING_PROTOCOL');
  });

  it('a relay that terminates TLS fails even when both sides use the right PIN', () => {
    // The relay forwards every message unchanged, but the node sees the relay's certificate.
    const hellos = makeHellos();
    const nodeView = { ...hellos, serverCertDer: new Uint8Array(randomBytes(700)) };
    const node = PairingInitiator.create(sessionParams(pinPrs, nodeView));
    const daemon = PairingResponder.create(sessionParams(pinPrs, hellos));
    node.receiveShare(daemon.receiveShare(node.share));
    const keys = generateNodeIdentityKeys();
    const claims = makeClaims(keys);
    const { mac, signature } = node.confirm(claims, keys.ed25519.privateKey);
    expectPalyraError(() => daemon.verifyNodeConfirm(claims, mac, signature), 'PALYRA_E_PAIRING_FAILED');
  });
});

describe('tampering breaks confirmation', () => {
  const other = generateNodeIdentityKeys();
  const claimTampers: Record<string, (claims: NodeClaims) => NodeClaims> = {
    deviceId: (c) => ({ ...c, deviceId: '01J9ZQ3X7W5V8K2M4N6P8R0T2W' }),
    name: (c) => ({ ...c, name: 'build-box2' }),
    platform: (c) => ({ ...c, platform: 'linux-arm64' }),
    hostname: (c) => ({ ...c, hostname: 'evil.lan' }),
    agentVersion: (c) => ({ ...c, agentVersion: '0.1.1' }),
    'capabilities (added)': (c) => ({ ...c, capabilities: [...c.capabilities, 'net.connect'] }),
    'capabilities (removed)': (c) => ({ ...c, capabilities: c.capabilities.slice(1) }),
    'capabilities (reordered)': (c) => ({ ...c, capabilities: [...c.capabilities].reverse() }),
    'capabilities (merged)': (c) => ({ ...c, capabilities: ['fs.read', 'fs.writeshell.exec'] }),
    ed25519PublicKey: (c) => ({ ...c, ed25519PublicKey: other.ed25519.publicKey }),
    x25519PublicKey: (c) => ({ ...c, x25519PublicKey: other.x25519.publicKey }),
    csrDer: (c) => ({ ...c, csrDer: flipBit(c.csrDer, 100) }),
  };

  for (const [field, tamper] of Object.entries(claimTampers)) {
    it(`claim ${field}`, () => {
      const prs = qrPrs();
      const { daemon, claims, confirmation } = runUntilNodeConfirm(prs, prs);
      expectPalyraError(
        () => daemon.verifyNodeConfirm(tamper(claims), confirmation.mac, confirmation.signature),
        'PALYRA_E_PAIRING_FAILED',
      );
    });
  }

  const sessionTampers: Record<string, (h: Hellos) => Hellos> = {
    'CA certificate (fingerprint)': (h) => ({ ...h, caCertDer: flipBit(h.caCertDer, 10) }),
    'TLS server certificate (fingerprint)': (h) => ({ ...h, serverCertDer: flipBit(h.serverCertDer, 10) }),
    'node nonce': (h) => ({ ...h, nodeNonce: flipBit(h.nodeNonce) }),
    'daemon nonce': (h) => ({ ...h, daemonNonce: flipBit(h.daemonNonce) }),
    method: (h) => ({ ...h, method: 'qr' }),
  };

  for (const [what, tamper] of Object.entries(sessionTampers)) {
    it(`${what} seen differently by the node`, () => {
      const prs = qrPrs();
      const hellos = makeHellos();
      // The node holds the tampered view, the daemon the real one; the PRS is the same.
      const node = PairingInitiator.create(sessionParams(prs, tamper(hellos)));
      const daemon = PairingResponder.create(sessionParams(prs, hellos));
      node.receiveShare(daemon.receiveShare(node.share));
      const keys = generateNodeIdentityKeys();
      const claims = makeClaims(keys);
      const { mac, signature } = node.confirm(claims, keys.ed25519.privateKey);
      expectPalyraError(() => daemon.verifyNodeConfirm(claims, mac, signature), 'PALYRA_E_PAIRING_FAILED');
    });
  }

  it('a tampered share in either direction', () => {
    const prs = qrPrs();
    const hellos = makeHellos();
    const node = PairingInitiator.create(sessionParams(prs, hellos));
    const daemon = PairingResponder.create(sessionParams(prs, hellos));
    // Replace Ya by a valid share of a different scalar: CPace itself cannot notice, the MACs must.
    const otherNode = PairingInitiator.create(sessionParams(prs, hellos));
    node.receiveShare(daemon.receiveShare(otherNode.share));
    const keys = generateNodeIdentityKeys();
    const claims = makeClaims(keys);
    const c = node.confirm(claims, keys.ed25519.privateKey);
    expectPalyraError(() => daemon.verifyNodeConfirm(claims, c.mac, c.signature), 'PALYRA_E_PAIRING_FAILED');
  });

  it('a tampered daemon MAC', () => {
    const prs = qrPrs();
    const { node, daemon, claims, confirmation } = runUntilNodeConfirm(prs, prs);
    daemon.verifyNodeConfirm(claims, confirmation.mac, confirmation.signature);
    expectPalyraError(() => node.verifyDaemonConfirm(flipBit(daemon.confirm(), 63)), 'PALYRA_E_PAIRING_FAILED');
    expect(node.phase).toBe('failed');
  });

  it('a tampered node MAC', () => {
    const prs = qrPrs();
    const { daemon, claims, confirmation } = runUntilNodeConfirm(prs, prs);
    expectPalyraError(
      () => daemon.verifyNodeConfirm(claims, flipBit(confirmation.mac, 5), confirmation.signature),
      'PALYRA_E_PAIRING_FAILED',
    );
  });
});

describe('node signature', () => {
  it('a bad signature with a good MAC is rejected with PALYRA_E_PAIRING_PROTOCOL', () => {
    const prs = qrPrs();
    const { daemon, claims, confirmation } = runUntilNodeConfirm(prs, prs);
    expectPalyraError(
      () => daemon.verifyNodeConfirm(claims, confirmation.mac, flipBit(confirmation.signature, 3)),
      'PALYRA_E_PAIRING_PROTOCOL',
    );
    expectPalyraError(() => daemon.sas, 'PALYRA_E_PAIRING_PROTOCOL');
  });

  it('an all-zero signature is rejected', () => {
    const prs = qrPrs();
    const { daemon, claims, confirmation } = runUntilNodeConfirm(prs, prs);
    const zero = new Uint8Array(64);
    expectPalyraError(() => daemon.verifyNodeConfirm(claims, confirmation.mac, zero), 'PALYRA_E_PAIRING_PROTOCOL');
  });

  it('the node refuses to sign with a key other than the claimed one', () => {
    const prs = qrPrs();
    const hellos = makeHellos();
    const node = PairingInitiator.create(sessionParams(prs, hellos));
    const daemon = PairingResponder.create(sessionParams(prs, hellos));
    node.receiveShare(daemon.receiveShare(node.share));
    const claims = makeClaims();
    expectPalyraError(
      () => node.confirm(claims, generateNodeIdentityKeys().ed25519.privateKey),
      'PALYRA_E_INVALID_ARGUMENT',
    );
  });
});

describe('call order', () => {
  it('initiator: confirm before receiveShare fails the session', () => {
    const prs = qrPrs();
    const node = PairingInitiator.create(sessionParams(prs, makeHellos()));
    const keys = generateNodeIdentityKeys();
    expectPalyraError(() => node.confirm(makeClaims(keys), keys.ed25519.privateKey), 'PALYRA_E_PAIRING_PROTOCOL');
    expect(node.phase).toBe('failed');
    expectPalyraError(() => node.receiveShare(new Uint8Array(32).fill(9)), 'PALYRA_E_PAIRING_PROTOCOL');
  });

  it('initiator: verifyDaemonConfirm before confirm, receiveShare twice, SAS too early', () => {
    const prs = qrPrs();
    const hellos = makeHellos();
    const daemon = PairingResponder.create(sessionParams(prs, hellos));
    const node1 = PairingInitiator.create(sessionParams(prs, hellos));
    const yb = daemon.receiveShare(node1.share);
    node1.receiveShare(yb);
    expectPalyraError(() => node1.sas, 'PALYRA_E_PAIRING_PROTOCOL');
    expectPalyraError(() => node1.verifyDaemonConfirm(new Uint8Array(64)), 'PALYRA_E_PAIRING_PROTOCOL');

    const node2 = PairingInitiator.create(sessionParams(prs, hellos));
    node2.receiveShare(yb);
    expectPalyraError(() => node2.receiveShare(yb), 'PALYRA_E_PAIRING_PROTOCOL');
  });

  it('responder: verifyNodeConfirm before receiveShare, confirm before verifyNodeConfirm, confirm twice', () => {
    const prs = qrPrs();
    const hellos = makeHellos();
    const claims = makeClaims();

    const d1 = PairingResponder.create(sessionParams(prs, hellos));
    expectPalyraError(() => d1.verifyNodeConfirm(claims, new Uint8Array(64), new Uint8Array(64)), 'PALYRA_E_PAIRING_PROTOCOL');

    const d2 = PairingResponder.create(sessionParams(prs, hellos));
    d2.receiveShare(PairingInitiator.create(sessionParams(prs, hellos)).share);
    expectPalyraError(() => d2.confirm(), 'PALYRA_E_PAIRING_PROTOCOL');
    expectPalyraError(() => d2.sas, 'PALYRA_E_PAIRING_PROTOCOL');

    const { daemon, claims: c, confirmation } = runUntilNodeConfirm(prs, prs);
    daemon.verifyNodeConfirm(c, confirmation.mac, confirmation.signature);
    daemon.confirm();
    expectPalyraError(() => daemon.confirm(), 'PALYRA_E_PAIRING_PROTOCOL');
  });
});

describe('low-order and reflected shares', () => {
  const aborting = x25519LowOrder.cases.filter((c) => c.abort);

  it('covers the draft list u0-u5 and u7', () => {
    expect(aborting.map((c) => c.name)).toEqual(['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u7']);
  });

  for (const c of aborting) {
    it(`${c.name} as Ya is rejected by the daemon and as Yb by the node`, () => {
      const prs = qrPrs();
      const hellos = makeHellos();
      const daemon = PairingResponder.create(sessionParams(prs, hellos));
      expectPalyraError(() => daemon.receiveShare(hexToBytes(c.u)), 'PALYRA_E_PAIRING_PROTOCOL');
      expect(daemon.phase).toBe('failed');

      const node = PairingInitiator.create(sessionParams(prs, hellos));
      expectPalyraError(() => node.receiveShare(hexToBytes(c.u)), 'PALYRA_E_PAIRING_PROTOCOL');
      expect(node.phase).toBe('failed');
    });
  }

  it('the node rejects its own share reflected back', () => {
    const node = PairingInitiator.create(sessionParams(qrPrs(), makeHellos()));
    expectPalyraError(() => node.receiveShare(node.share), 'PALYRA_E_PAIRING_PROTOCOL');
  });
});

describe('malformed input gets a clear error, never a crash', () => {
  it('session parameters: peer values are protocol errors, local ones invalid arguments', () => {
    const prs = qrPrs();
    const good = sessionParams(prs, makeHellos());
    const short = new Uint8Array(31);
    expectPalyraError(() => PairingInitiator.create({ ...good, daemonNonce: short }), 'PALYRA_E_PAIRING_PROTOCOL');
    expectPalyraError(() => PairingInitiator.create({ ...good, caCertDer: new Uint8Array(0) }), 'PALYRA_E_PAIRING_PROTOCOL');
    expectPalyraError(
      () => PairingInitiator.create({ ...good, caCertDer: new Uint8Array(64 * 1024 + 1) }),
      'PALYRA_E_PAIRING_PROTOCOL',
    );
    expectPalyraError(() => PairingResponder.create({ ...good, nodeNonce: new Uint8Array(33) }), 'PALYRA_E_PAIRING_PROTOCOL');
    expectPalyraError(() => PairingInitiator.create({ ...good, prs: new Uint8Array(6) }), 'PALYRA_E_INVALID_ARGUMENT');
    expectPalyraError(
      () => PairingInitiator.create({ ...good, method: 'password' as never }),
      'PALYRA_E_INVALID_ARGUMENT',
    );
    expectPalyraError(
      () => PairingResponder.create({ ...good, serverCertFingerprint: new Uint8Array(20) }),
      'PALYRA_E_INVALID_ARGUMENT',
    );
    expectPalyraError(() => PairingResponder.create({ ...good, nodeNonce: 'x' as never }), 'PALYRA_E_PAIRING_PROTOCOL');
  });

  it('shares of the wrong length or type', () => {
    const prs = qrPrs();
    const hellos = makeHellos();
    for (const bad of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0), 'share' as never, undefined as never]) {
      const daemon = PairingResponder.create(sessionParams(prs, hellos));
      expectPalyraError(() => daemon.receiveShare(bad), 'PALYRA_E_PAIRING_PROTOCOL');
      const node = PairingInitiator.create(sessionParams(prs, hellos));
      expectPalyraError(() => node.receiveShare(bad), 'PALYRA_E_PAIRING_PROTOCOL');
    }
  });

  it('MAC and signature lengths', () => {
    const prs = qrPrs();
    for (const [mac, sig] of [
      [63, 64],
      [65, 64],
      [64, 63],
      [64, 65],
    ] as const) {
      const { daemon, claims } = runUntilNodeConfirm(prs, prs);
      expectPalyraError(
        () => daemon.verifyNodeConfirm(claims, new Uint8Array(mac), new Uint8Array(sig)),
        'PALYRA_E_PAIRING_PROTOCOL',
      );
    }
    const { node, daemon, claims, confirmation } = runUntilNodeConfirm(prs, prs);
    daemon.verifyNodeConfirm(claims, confirmation.mac, confirmation.signature);
    expectPalyraError(() => node.verifyDaemonConfirm(daemon.confirm().subarray(0, 32)), 'PALYRA_E_PAIRING_PROTOCOL');
  });

  const smallOrderEd25519 = hexToBytes('0100000000000000000000000000000000000000000000000000000000000000');
  const claimBreakers: Record<string, (c: NodeClaims) => unknown> = {
    'claims not an object': () => null,
    'deviceId not a ULID': (c) => ({ ...c, deviceId: 'not-a-ulid' }),
    'deviceId lower case': (c) => ({ ...c, deviceId: c.deviceId.toLowerCase() }),
    'deviceId overflowing 48-bit time': (c) => ({ ...c, deviceId: '8' + c.deviceId.slice(1) }),
    'name missing': (c) => ({ ...c, name: undefined }),
    'name empty': (c) => ({ ...c, name: '' }),
    'name too long': (c) => ({ ...c, name: 'n'.repeat(257) }),
    'name with an ANSI escape': (c) => ({ ...c, name: 'box\u001b[2Jother' }),
    'name with a bidi override': (c) => ({ ...c, name: 'box\u202Eexe.' }),
    'hostname with a lone surrogate': (c) => ({ ...c, hostname: 'box\uD800' }),
    'platform a number': (c) => ({ ...c, platform: 42 }),
    'agentVersion with a newline': (c) => ({ ...c, agentVersion: '0.1.0\n' }),
    'capabilities not a list': (c) => ({ ...c, capabilities: 'fs.read' }),
    'capabilities too many': (c) => ({ ...c, capabilities: Array.from({ length: 257 }, (_, i) => `cap.${i}`) }),
    'capabilities duplicate': (c) => ({ ...c, capabilities: ['fs.read', 'fs.read'] }),
    'capability empty': (c) => ({ ...c, capabilities: [''] }),
    'capability too long': (c) => ({ ...c, capabilities: ['c'.repeat(129)] }),
    'capability not a string': (c) => ({ ...c, capabilities: [1] }),
    'ed25519PublicKey short': (c) => ({ ...c, ed25519PublicKey: c.ed25519PublicKey.subarray(0, 31) }),
    'ed25519PublicKey small order': (c) => ({ ...c, ed25519PublicKey: smallOrderEd25519 }),
    'x25519PublicKey long': (c) => ({ ...c, x25519PublicKey: new Uint8Array(33) }),
    'x25519PublicKey low order': (c) => ({ ...c, x25519PublicKey: hexToBytes(x25519LowOrder.cases[3]?.u ?? '') }),
    'csrDer empty': (c) => ({ ...c, csrDer: new Uint8Array(0) }),
    'csrDer too large': (c) => ({ ...c, csrDer: new Uint8Array(16 * 1024 + 1) }),
    'csrDer a string': (c) => ({ ...c, csrDer: 'MIIB' }),
  };

  for (const [what, breakClaims] of Object.entries(claimBreakers)) {
    it(`claims: ${what}`, () => {
      const prs = qrPrs();
      const { daemon, claims, confirmation } = runUntilNodeConfirm(prs, prs);
      expectPalyraError(
        () => daemon.verifyNodeConfirm(breakClaims(claims) as NodeClaims, confirmation.mac, confirmation.signature),
        'PALYRA_E_PAIRING_PROTOCOL',
      );
    });
  }

  it('the node checks its own claims as arguments', () => {
    const prs = qrPrs();
    const hellos = makeHellos();
    const node = PairingInitiator.create(sessionParams(prs, hellos));
    const daemon = PairingResponder.create(sessionParams(prs, hellos));
    node.receiveShare(daemon.receiveShare(node.share));
    const keys = generateNodeIdentityKeys();
    expectPalyraError(
      () => node.confirm({ ...makeClaims(keys), capabilities: ['a', 'a'] }, keys.ed25519.privateKey),
      'PALYRA_E_INVALID_ARGUMENT',
    );
  });
});
