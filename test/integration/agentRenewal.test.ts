/**
 * The agent's renewal lifecycle against a real in-process daemon, with an injected clock
 * (issue 15): RenewalManager renews at once when its clock is past two thirds, stores the new
 * certificate with the previous kept, the connection switches to it, and the first
 * RegisterNode with it drops the previous from the store; a node whose renewed certificate the
 * daemon does not know falls back to the previous one; a removed node's renewal is final,
 * with a message that says to pair again. Real identity store (a 0600 file), real certificates.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCsr, fingerprint, generateTlsKeyPair, pemToDer } from '@palyra/shared';
import { PalyraError } from '@palyra/shared/errors';
import type { PluginLogger } from '@palyra/shared/plugins';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../daemon/src/ca/index.js';
import { NodeConnection } from '../../agent/src/connection/NodeConnection.js';
import type { CapabilityExecutor } from '../../agent/src/connection/CapabilityExecutor.js';
import { FileIdentityStore, type NodeIdentity } from '../../agent/src/identity/index.js';
import { IdentityHolder, IdentityKeeper, NodeCertificateLifecycle, RenewalManager } from '../../agent/src/renewal/index.js';
import { capturedLogger } from '../helpers/capturedLogger.js';
import { CA_SETUP_TIMEOUT_MS, Scope, TEST_TIMEOUT_MS, clientCredentials, nodeClient, pairNode, prepareCas, startDaemon, within, type RunningDaemon } from './harness.js';
import { renewOn, renewedIdentity } from '../helpers/renewalProbe.js';

let scope: Scope;
beforeAll(() => prepareCas('daemon'), CA_SETUP_TIMEOUT_MS);
beforeEach(() => {
  scope = new Scope();
});
afterEach(async () => {
  await scope.dispose();
});

const HOUR = 60 * 60 * 1000;
const noCapabilities: CapabilityExecutor = {
  capabilities: () => [],
  execute: async () => ({ status: 'rejected', error: new PalyraError('PALYRA_E_INTERNAL', 'no capabilities here') }),
};

interface Agent {
  store: FileIdentityStore;
  holder: IdentityHolder;
  manager: RenewalManager;
  running: Promise<unknown>;
  ready: () => Promise<void>;
  /** The agent's log messages so far. */
  messages: () => string[];
}

/** The agent's pieces as NodeAgent wires them, with the renewal clock at `clock.offsetMs` from now (a test may move it). */
async function startAgent(identity: NodeIdentity, clock: { offsetMs: number }): Promise<Agent> {
  const store = new FileIdentityStore(join(await scope.tempDir(), 'node'));
  await store.save(identity);
  const holder = new IdentityHolder(identity);
  const keeper = new IdentityKeeper(store, holder);
  const captured = capturedLogger();
  // The agent logs through the plugin-style logger (message first), as RunCommand adapts it.
  const logger: PluginLogger = {
    debug: (message, fields) => captured.logger.debug(fields ?? {}, message),
    info: (message, fields) => captured.logger.info(fields ?? {}, message),
    warn: (message, fields) => captured.logger.warn(fields ?? {}, message),
    error: (message, fields) => captured.logger.error(fields ?? {}, message),
  };
  const messages = (): string[] => captured.lines().map((line) => String(line.msg));
  const now = (): Date => new Date(Date.now() + clock.offsetMs);
  const manager = new RenewalManager({ keeper, logger: logger, now, random: () => 0.5 });
  const lifecycle = new NodeCertificateLifecycle(keeper, manager, logger, now);
  let readyCount = 0;
  const waiters: Array<() => void> = [];
  const connection = new NodeConnection(holder, noCapabilities, {
    lifecycle,
    onReady: () => {
      readyCount += 1;
      for (const wake of waiters.splice(0)) wake();
    },
  });
  const abort = new AbortController();
  scope.defer(() => abort.abort());
  const running = Promise.all([connection.run({ signal: abort.signal }), manager.run({ signal: abort.signal })]);
  running.catch(() => undefined);
  const ready = async (): Promise<void> => {
    const seen = readyCount;
    await within(new Promise<void>((resolve) => waiters.push(() => (readyCount > seen ? resolve() : undefined))), 30_000, 'the node to come online');
  };
  return { store, holder, manager, running, ready, messages };
}

async function daemonCa(d: RunningDaemon): Promise<CertificateAuthority> {
  const dir = join(await scope.tempDir(), 'ca');
  await mkdir(dir, { mode: 0o700 });
  const files: Array<[string, string]> = [
    ['ca.key', d.keys.caKeyPem],
    ['ca.crt', d.caCertPem],
    ['server.key', d.keys.serverKeyPem],
    ['server.crt', d.keys.serverCertPem],
  ];
  for (const [name, pem] of files) {
    await writeFile(join(dir, name), pem);
    await chmod(join(dir, name), name.endsWith('.key') ? 0o600 : 0o644);
  }
  return CertificateAuthority.loadOrCreate({ stateDir: dir });
}

const certFingerprint = (pem: string): string => fingerprint(pemToDer(pem, 'CERTIFICATE'));

async function registeredFingerprint(d: RunningDaemon, deviceId: string): Promise<string | undefined> {
  return (await d.control.listNodes()).find((n) => n.deviceId === deviceId)?.certFingerprint;
}

describe('the agent renewal lifecycle (in-process daemon)', { timeout: TEST_TIMEOUT_MS }, () => {
  it('renews at once when its clock is past two thirds, switches, and drops the previous certificate once the daemon saw the new one', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    // 17 h into a 24 h certificate: past two thirds (±5%).
    const clock = { offsetMs: 17 * HOUR };
    const agent = await startAgent(node, clock);
    const renewed = new Promise<NodeIdentity>((resolve) =>
      agent.holder.onChange((identity, change) => {
        if (change !== 'credentials') return;
        // The clock back to now: the new certificate is not due (else it renews again at once).
        clock.offsetMs = 0;
        resolve(identity);
      }),
    );
    const identity = await within(renewed, 30_000, 'the renewal');
    expect(identity.certPem).not.toBe(node.certPem);
    expect(identity.tlsPrivateKeyPem).not.toBe(node.tlsPrivateKeyPem);
    expect(identity.previousCertPem).toBe(node.certPem);
    // Stored BEFORE the switch: the store already held it when the connection heard of it.
    await within(
      (async () => {
        for (;;) {
          const stored = await agent.store.load();
          if (stored?.certPem === identity.certPem && stored.previousCertPem === undefined) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })(),
      30_000,
      'the previous certificate to be dropped after RegisterNode with the new one',
    );
    expect(await registeredFingerprint(d, node.deviceId)).toBe(certFingerprint(identity.certPem));
    expect(agent.manager.status.lastRenewal).toMatchObject({ result: 'renewed', path: 'mtls' });
    // The next renewal is due two thirds (±5%) into the new 24 h certificate.
    const next = Date.parse(agent.manager.status.nextRenewalAt ?? '') - Date.now();
    expect(next).toBeGreaterThan(14.5 * HOUR);
    expect(next).toBeLessThan(17.5 * HOUR);
  });

  it('falls back to the previous certificate when the daemon does not know the current one', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    // A certificate by the daemon's CA for this device and a new key that the daemon never
    // recorded (it lost the renewal: a restored backup).
    const ca = await daemonCa(d);
    const key = await generateTlsKeyPair();
    const unknown = await ca.signNodeCsr({ csrDer: createCsr({ deviceId: node.deviceId, privateKeyPem: key.privateKeyPem }), deviceId: node.deviceId });
    const identity: NodeIdentity = {
      ...node,
      certPem: unknown.certPem,
      tlsPrivateKeyPem: key.privateKeyPem,
      certExpiresAt: unknown.notAfter.toISOString(),
      previousCertPem: node.certPem,
      previousTlsPrivateKeyPem: node.tlsPrivateKeyPem,
      previousCertExpiresAt: node.certExpiresAt,
    };
    const agent = await startAgent(identity, { offsetMs: 0 });
    await agent.ready();
    expect(agent.holder.current.certPem).toBe(node.certPem);
    const stored = await agent.store.load();
    expect(stored?.certPem).toBe(node.certPem);
    expect(stored?.previousCertPem).toBeUndefined();
    expect(agent.messages().join('\n')).toMatch(/falling back to the previous one/);
  });

  it('a renewal refused because the daemon does not know the current certificate falls back to the previous one and renews from it, instead of giving up for good', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    // As in the test above (the daemon lost the renewal), but the renewal schedule gets there
    // first: the node was away past two thirds, so it renews at start, before (or without) a
    // connection attempt that would have fallen back.
    const ca = await daemonCa(d);
    const key = await generateTlsKeyPair();
    const unknown = await ca.signNodeCsr({ csrDer: createCsr({ deviceId: node.deviceId, privateKeyPem: key.privateKeyPem }), deviceId: node.deviceId });
    const identity: NodeIdentity = {
      ...node,
      certPem: unknown.certPem,
      tlsPrivateKeyPem: key.privateKeyPem,
      certExpiresAt: unknown.notAfter.toISOString(),
      previousCertPem: node.certPem,
      previousTlsPrivateKeyPem: node.tlsPrivateKeyPem,
      previousCertExpiresAt: node.certExpiresAt,
    };
    const store = new FileIdentityStore(join(await scope.tempDir(), 'node'));
    await store.save(identity);
    const holder = new IdentityHolder(identity);
    const keeper = new IdentityKeeper(store, holder);
    const captured = capturedLogger();
    const logger: PluginLogger = {
      debug: (message, fields) => captured.logger.debug(fields ?? {}, message),
      info: (message, fields) => captured.logger.info(fields ?? {}, message),
      warn: (message, fields) => captured.logger.warn(fields ?? {}, message),
      error: (message, fields) => captured.logger.error(fields ?? {}, message),
    };
    const clock = { offsetMs: 17 * HOUR };
    const manager = new RenewalManager({ keeper, logger, now: () => new Date(Date.now() + clock.offsetMs), random: () => 0.5 });
    const renewed = new Promise<NodeIdentity>((resolve) =>
      holder.onChange((next) => {
        if (next.previousCertPem === node.certPem && next.certPem !== identity.certPem && next.certPem !== node.certPem) {
          clock.offsetMs = 0;
          resolve(next);
        }
      }),
    );
    const abort = new AbortController();
    scope.defer(() => abort.abort());
    const running = manager.run({ signal: abort.signal }).then(() => undefined, (error: unknown) => error);
    const outcome = await within(Promise.race([renewed, running]), 30_000, 'a renewal (or the manager giving up)');
    if (outcome instanceof Error) throw new Error(`the manager gave up: ${outcome.message}`);
    const next = outcome as NodeIdentity;
    expect(await registeredFingerprint(d, node.deviceId)).toBe(certFingerprint(next.certPem));
    expect((await store.load())?.certPem).toBe(next.certPem);
    expect(manager.status.nextRenewalAt).not.toBeNull();
  });

  it('the certificate kept as previous after a renewal is the one it was renewed from (the daemon keeps that one), even when the identity in use changed meanwhile', async () => {
    const d = await startDaemon(scope);
    const paired = await pairNode(scope, d);
    // The daemon holds X as current and the paired certificate P as previous; so does the node.
    const first = await renewOn(scope, nodeClient(scope, d.address, clientCredentials(d.caCertPem, { keyPem: paired.tlsPrivateKeyPem, certPem: paired.certPem })), paired);
    if (!first.ok) throw new Error(first.palyra.message);
    const x = renewedIdentity(paired, first);
    const identity: NodeIdentity = { ...x, previousCertPem: paired.certPem, previousTlsPrivateKeyPem: paired.tlsPrivateKeyPem, previousCertExpiresAt: paired.certExpiresAt };
    const store = new FileIdentityStore(join(await scope.tempDir(), 'node'));
    await store.save(identity);
    const holder = new IdentityHolder(identity);
    const keeper = new IdentityKeeper(store, holder);
    const captured = capturedLogger();
    const logger: PluginLogger = {
      debug: (message, fields) => captured.logger.debug(fields ?? {}, message),
      info: (message, fields) => captured.logger.info(fields ?? {}, message),
      warn: (message, fields) => captured.logger.warn(fields ?? {}, message),
      error: (message, fields) => captured.logger.error(fields ?? {}, message),
    };
    const clock = { offsetMs: 17 * HOUR };
    const manager = new RenewalManager({ keeper, logger, now: () => new Date(Date.now() + clock.offsetMs), random: () => 0.5 });
    const switched = new Promise<NodeIdentity>((resolve) =>
      holder.onChange((next, change) => {
        if (change === 'credentials' && next.certPem !== x.certPem && next.certPem !== paired.certPem) {
          clock.offsetMs = 0;
          resolve(next);
        }
      }),
    );
    const abort = new AbortController();
    scope.defer(() => abort.abort());
    // The renewal (from X) starts at once, synchronously up to its key generation...
    manager.run({ signal: abort.signal }).catch(() => undefined);
    // ...and meanwhile the connection falls back to P (as when a connect was refused).
    expect(await keeper.fallBack(new Date())).toBe(true);
    const next = await within(switched, 30_000, 'the renewal from X to be stored and switched to');
    // The daemon renewed from X: it keeps X as previous and deny-listed P.
    expect(next.previousCertPem).toBe(x.certPem);
    expect((await store.load())?.previousCertPem).toBe(x.certPem);
    expect(next.previousTlsPrivateKeyPem).toBe(x.tlsPrivateKeyPem);
  });

  it('a removed node cannot renew: the manager stops with NODE_REVOKED and says to pair again', async () => {
    const d = await startDaemon(scope);
    const node = await pairNode(scope, d);
    await d.control.removeNode(node.deviceId);
    const agent = await startAgent(node, { offsetMs: 17 * HOUR });
    const failure = await within(agent.running.then(() => undefined, (error: unknown) => error), 30_000, 'the agent to stop');
    expect(failure).toBeInstanceOf(PalyraError);
    expect((failure as PalyraError).code).toMatch(/^PALYRA_E_(NODE_REVOKED|PERMISSION_DENIED)$/);
    expect((failure as PalyraError).message).toMatch(/pair/);
  });
});
