import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { PalyraError, type ErrorCode } from '../../src/errors/index.js';
import {
  PairingInitiator,
  PairingResponder,
  certificateFingerprint,
  generateNodeIdentityKeys,
  type NodeClaims,
  type NodeIdentityKeys,
  type PairingMethod,
  type PairingSessionParams,
} from '../../src/pairing/index.js';

export interface Hellos {
  method: PairingMethod;
  nodeNonce: Uint8Array;
  daemonNonce: Uint8Array;
  caCertDer: Uint8Array;
  serverCertDer: Uint8Array;
}

/** Stand-ins for real certificates: the pairing code only hashes them. */
export function makeHellos(method: PairingMethod = 'pin'): Hellos {
  return {
    method,
    nodeNonce: new Uint8Array(randomBytes(32)),
    daemonNonce: new Uint8Array(randomBytes(32)),
    caCertDer: new Uint8Array(randomBytes(600)),
    serverCertDer: new Uint8Array(randomBytes(700)),
  };
}

export function sessionParams(prs: Uint8Array, hellos: Hellos): PairingSessionParams {
  return {
    prs,
    method: hellos.method,
    nodeNonce: hellos.nodeNonce,
    daemonNonce: hellos.daemonNonce,
    caCertDer: hellos.caCertDer,
    serverCertFingerprint: certificateFingerprint(hellos.serverCertDer),
  };
}

export function makeClaims(keys: NodeIdentityKeys = generateNodeIdentityKeys()): NodeClaims {
  return {
    deviceId: '01J9ZQ3X7W5V8K2M4N6P8R0T2V',
    name: 'build-box',
    platform: 'linux-x64',
    hostname: 'build-box.lan',
    agentVersion: '0.1.0',
    capabilities: ['fs.read', 'fs.write', 'shell.exec'],
    ed25519PublicKey: keys.ed25519.publicKey,
    x25519PublicKey: keys.x25519.publicKey,
    csrDer: new Uint8Array(randomBytes(300)),
  };
}

export interface Exchange {
  node: PairingInitiator;
  daemon: PairingResponder;
  keys: NodeIdentityKeys;
  claims: NodeClaims;
  confirmation: { mac: Uint8Array; signature: Uint8Array };
}

/** Runs hello .. node confirm between an honest node and daemon; stops before the daemon verifies. */
export function runUntilNodeConfirm(nodePrs: Uint8Array, daemonPrs: Uint8Array, hellos = makeHellos()): Exchange {
  const node = PairingInitiator.create(sessionParams(nodePrs, hellos));
  const daemon = PairingResponder.create(sessionParams(daemonPrs, hellos));
  const yb = daemon.receiveShare(node.share);
  node.receiveShare(yb);
  const keys = generateNodeIdentityKeys();
  const claims = makeClaims(keys);
  const confirmation = node.confirm(claims, keys.ed25519.privateKey);
  return { node, daemon, keys, claims, confirmation };
}

export function expectPalyraError(run: () => unknown, code: ErrorCode): PalyraError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(PalyraError);
  expect((caught as PalyraError).code).toBe(code);
  return caught as PalyraError;
}

export function flipBit(bytes: Uint8Array, index = 0): Uint8Array {
  const copy = bytes.slice();
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}
