/**
 * In-process harness for the integration tests: real daemons (Daemon.create) on 127.0.0.1:0,
 * nodes paired with the agent's real joinDaemon, raw @grpc/grpc-js clients, and a Scope that
 * tears every daemon, client, call, server and temp dir down after each test.
 */
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  ERROR_METADATA_KEY,
  fromServiceError,
  loadPalyraProto,
  type DaemonMessage__Output,
  type NodeMessage,
  type NodeServiceClient,
  type PairClientMessage,
  type PairServerHello__Output,
  type PairServerMessage__Output,
  type PairingInfo__Output,
  type PairingServiceClient,
  type RegisterNodeResponse__Output,
} from '@palyra/proto';
import {
  PAIRING_PROTOCOL,
  PairingInitiator,
  type PalyraError,
  derToPem,
  derivePinPrs,
  fingerprint,
  type NodeClaims,
} from '@palyra/shared';
import { expect } from 'vitest';
import { Daemon, type DaemonOptions } from '../../daemon/src/Daemon.js';
import { CertificateAuthority } from '../../daemon/src/ca/index.js';
import { ControlClient } from '../../daemon/src/client/ControlClient.js';
import type { NodeIdentity } from '../../agent/src/identity/index.js';
import { joinDaemon, type JoinOptions } from '../../agent/src/pairing/joinDaemon.js';
import { checkDaemonCertificate } from '@palyra/shared/x509';

/** Every client gets its own subchannels: no connection (and no TLS identity) is shared between tests. */
export const RAW_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.ssl_target_name_override': 'palyrad',
  'grpc.use_local_subchannel_pool': 1,
};

const CA_FILES = ['ca.key', 'ca.crt', 'server.key', 'server.crt'] as const;

/** Resources of one test, released in reverse order by dispose(). */
export class Scope {
  private readonly cleanups: Array<() => unknown> = [];

  defer(cleanup: () => unknown): void {
    this.cleanups.push(cleanup);
  }

  async tempDir(prefix = 'palyra-it-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.defer(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  client<T extends grpc.Client>(client: T): T {
    this.defer(() => client.close());
    return client;
  }

  call<T extends { cancel(): void }>(call: T): T {
    this.defer(() => call.cancel());
    return call;
  }

  server(server: grpc.Server): grpc.Server {
    this.defer(() => server.forceShutdown());
    return server;
  }

  async dispose(): Promise<void> {
    const errors: unknown[] = [];
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
  }
}

export type CaTemplate = 'daemon' | 'other-daemon' | 'stranger';
const caTemplates = new Map<CaTemplate, Promise<string>>();

/**
 * CAs (ca.key/ca.crt plus a server certificate for 127.0.0.1), generated once per worker and
 * copied into each test's fresh state dir: RSA-3072 generation is the slowest part of start-up
 * and says nothing about what these tests check. Runtime state is never shared.
 */
function templateStateDir(name: CaTemplate): Promise<string> {
  let template = caTemplates.get(name);
  if (template === undefined) {
    template = (async () => {
      const dir = await mkdtemp(join(runCacheDir(), `palyra-it-${name}-`));
      const ca = await CertificateAuthority.loadOrCreate({ stateDir: dir });
      await ca.ensureServerCertificate({ hosts: ['127.0.0.1'] });
      return dir;
    })();
    caTemplates.set(name, template);
  }
  return template;
}

/**
 * Where the templates live: the run's cache dir, which test/setup/tempDirGuard.ts removes
 * after the run. (A process 'exit' handler here never ran: vitest ends its workers with a
 * signal, which left every template behind in the system temp dir.)
 */
function runCacheDir(): string {
  const dir = process.env.PALYRA_TEST_CACHE_DIR;
  if (dir === undefined || dir === '') {
    throw new Error('PALYRA_TEST_CACHE_DIR is not set: run the tests through vitest.config.ts (globalSetup test/setup/tempDirGuard.ts)');
  }
  return dir;
}

/** Time for generating CAs in beforeAll: RSA-3072 keygen on a busy 2-core machine is slow. */
export const CA_SETUP_TIMEOUT_MS = 180_000;

/**
 * Per-test timeout of these suites: each test starts a daemon, pairs nodes (RSA keygen, two
 * scrypt derivations per join) and often runs a dozen attacks; on a loaded 2-core machine that
 * can take far longer than the default 30 s. Nothing here is timed; this only stops a hang.
 */
export const TEST_TIMEOUT_MS = 120_000;

/**
 * Generates the CAs a test file uses, up front (call it from beforeAll with
 * CA_SETUP_TIMEOUT_MS), so that key generation never eats into a test's own timeout.
 */
export async function prepareCas(...names: CaTemplate[]): Promise<void> {
  await Promise.all(names.map((name) => templateStateDir(name)));
}

async function copyCa(name: CaTemplate, stateDir: string): Promise<void> {
  const template = await templateStateDir(name);
  for (const file of CA_FILES) {
    await copyFile(join(template, file), join(stateDir, file));
    await chmod(join(stateDir, file), file.endsWith('.key') ? 0o600 : 0o644);
  }
}

export interface RunningDaemon {
  daemon: Daemon;
  control: ControlClient;
  /** 127.0.0.1:<port> */
  address: string;
  stateDir: string;
  caCertPem: string;
  /**
   * The daemon's private keys as the test gave them to it (the daemon moves them into its
   * vault): for tests that play a part only a thief of these keys could.
   */
  keys: { caKeyPem: string; serverKeyPem: string; serverCertPem: string };
}

/**
 * Starts a real daemon in-process. `otherCa` gives it a CA unrelated to the default one (for
 * tests that need two daemons with different CAs).
 */
export async function startDaemon(
  scope: Scope,
  options: { otherCa?: boolean; daemon?: Partial<Omit<DaemonOptions, 'stateDir' | 'listen'>> } = {},
): Promise<RunningDaemon> {
  const root = await scope.tempDir();
  const stateDir = join(root, 'daemon');
  await mkdir(stateDir, { mode: 0o700 });
  const template = options.otherCa === true ? 'other-daemon' : 'daemon';
  await copyCa(template, stateDir);
  const templateDir = await templateStateDir(template);
  const read = (file: string): Promise<string> => readFile(join(templateDir, file), 'utf8');
  const keys = { caKeyPem: await read('ca.key'), serverKeyPem: await read('server.key'), serverCertPem: await read('server.crt') };
  const caCertPem = await read('ca.crt');
  const daemon = await Daemon.create({
    // Headless: the vault's data key lives in a 0600 key file in the state dir.
    vault: { choice: 'file' },
    ...options.daemon,
    stateDir,
    listen: { host: '127.0.0.1', port: 0 },
  });
  scope.defer(() => daemon.stop());
  const control = await ControlClient.connect(stateDir);
  scope.defer(() => control.close());
  return { daemon, control, address: daemon.info.grpcAddress, stateDir, caCertPem, keys };
}

/** A CA unrelated to any test daemon's (a stranger's, or an attacker's), in its own temp dir. */
export async function foreignCa(scope: Scope): Promise<CertificateAuthority> {
  const dir = join(await scope.tempDir(), 'foreign-ca');
  await mkdir(dir, { mode: 0o700 });
  await copyCa('stranger', dir);
  return CertificateAuthority.loadOrCreate({ stateDir: dir });
}

export function differentPin(pin: string): string {
  return ((Number(pin) + 1) % 1_000_000).toString().padStart(6, '0');
}

export interface StartedJoin {
  /** Settles with the join's outcome; never an unhandled rejection. */
  result: Promise<NodeIdentity>;
  /** Resolves once the daemon proved the PIN (the request is in the approval queue). */
  confirmed: Promise<{ sas: string; requestId: string; repair: boolean; caFingerprint: string }>;
  abort: AbortController;
}

/** Starts the agent's real joinDaemon against `address`. */
export function startJoin(scope: Scope, address: string, pin: string, extra: Partial<JoinOptions> = {}): StartedJoin {
  const abort = new AbortController();
  scope.defer(() => abort.abort());
  let onConfirmed!: (info: { sas: string; requestId: string; repair: boolean; caFingerprint: string }) => void;
  const confirmed = new Promise<{ sas: string; requestId: string; repair: boolean; caFingerprint: string }>((resolve) => {
    onConfirmed = resolve;
  });
  const { onConfirmed: alsoOnConfirmed, ...rest } = extra;
  const result = joinDaemon({
    daemonAddress: address,
    secret: { method: 'pin', pin },
    name: 'it-node',
    signal: abort.signal,
    ...rest,
    onConfirmed: (info) => {
      onConfirmed(info);
      alsoOnConfirmed?.(info);
    },
  });
  result.catch(() => undefined);
  return { result, confirmed, abort };
}

/** Waits for the join's confirmation, or fails with the join's own error if it ends first. */
export async function confirmedOrFailed(join: StartedJoin): Promise<{ requestId: string; sas: string }> {
  return Promise.race([
    join.confirmed,
    join.result.then(
      () => {
        throw new Error('join finished before its confirmation was reported');
      },
      (error: unknown) => {
        throw error;
      },
    ),
  ]);
}

/** Mints a PIN, joins with the real agent code, approves, and returns the node's identity. */
export async function pairNode(scope: Scope, d: RunningDaemon, name = 'it-node'): Promise<NodeIdentity> {
  const { code } = await d.control.createPairingCode({ method: 'pin' });
  const join = startJoin(scope, d.address, code, { name });
  const { requestId } = await confirmedOrFailed(join);
  await d.control.decide(requestId, true);
  return join.result;
}

// ------------------------------------------------------------------ raw NodeService calls

export function nodeClient(scope: Scope, address: string, credentials: grpc.ChannelCredentials): NodeServiceClient {
  const { NodeService } = loadPalyraProto();
  return scope.client(new NodeService(address, credentials, RAW_CHANNEL_OPTIONS));
}

/** TLS that verifies the daemon properly and presents `identity` (or no client cert at all). */
export function clientCredentials(caCertPem: string, identity?: { keyPem: string; certPem: string }): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(
    Buffer.from(caCertPem),
    identity === undefined ? null : Buffer.from(identity.keyPem),
    identity === undefined ? null : Buffer.from(identity.certPem),
    { checkServerIdentity: (_host, cert) => checkDaemonCertificate(cert) },
  );
}

export type CallOutcome<T> = { ok: true; value: T } | { ok: false; error: grpc.ServiceError; palyra: PalyraError };

export function registerNode(client: NodeServiceClient, deviceId: string): Promise<CallOutcome<RegisterNodeResponse__Output>> {
  return new Promise((resolve) => {
    client.RegisterNode(
      { deviceId, name: 'raw', platform: 'linux-x64', hostname: 'raw-host', agentVersion: '0.0.0-test', capabilities: [] },
      { deadline: Date.now() + 10_000 },
      (error, value) => {
        if (error) resolve({ ok: false, error, palyra: fromServiceError(error) });
        else resolve({ ok: true, value: value as RegisterNodeResponse__Output });
      },
    );
  });
}

/** A Session stream with its messages and its final status collected. */
export class SessionProbe {
  readonly messages: DaemonMessage__Output[] = [];
  /** Resolves with the first message (the welcome, for an accepted hello). */
  readonly firstMessage: Promise<DaemonMessage__Output>;
  /** Resolves with the error status the stream ended with; rejects if it ended OK. */
  readonly ended: Promise<CallOutcome<never> & { ok: false }>;
  private readonly call: grpc.ClientDuplexStream<NodeMessage, DaemonMessage__Output>;

  /** `first` replaces the hello as the first message (to test a node that breaks the protocol). */
  constructor(scope: Scope, client: NodeServiceClient, deviceId: string, { first }: { first?: NodeMessage } = {}) {
    this.call = scope.call(client.Session());
    this.firstMessage = new Promise((resolve, reject) => {
      this.call.once('data', (message: DaemonMessage__Output) => resolve(message));
      this.call.once('error', reject);
      this.call.once('end', () => reject(new Error('the session ended without a message')));
    });
    this.firstMessage.catch(() => undefined);
    this.call.on('data', (message: DaemonMessage__Output) => this.messages.push(message));
    this.ended = new Promise((resolve, reject) => {
      this.call.on('error', (error: grpc.ServiceError) => resolve({ ok: false, error, palyra: fromServiceError(error) }));
      this.call.on('status', (status: grpc.StatusObject) => {
        if (status.code === grpc.status.OK) reject(new Error('the session ended with status OK'));
      });
    });
    this.ended.catch(() => undefined);
    this.call.write(first ?? { hello: { deviceId } });
  }

  /** Sends one more message up the stream (after the hello). */
  write(message: NodeMessage): void {
    this.call.write(message);
  }

  /** Resolves with the first message after the ones received so far that `match` accepts. */
  nextMatching(match: (message: DaemonMessage__Output) => boolean): Promise<DaemonMessage__Output> {
    return new Promise((resolve, reject) => {
      const onData = (message: DaemonMessage__Output): void => {
        if (!match(message)) return;
        this.call.off('data', onData);
        resolve(message);
      };
      this.call.on('data', onData);
      this.ended.then(() => reject(new Error('the session ended')), () => undefined);
    });
  }
}

/** Fails the test with `what` when `promise` does not settle within `ms` (a liveness bound, not a measurement). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing happened within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Asserts a failed call carried a PalyraError in `palyra-error-bin` with this code and grpc status. */
export function expectPalyraStatus(outcome: CallOutcome<unknown>, code: string, status: grpc.status): PalyraError {
  if (outcome.ok) throw new Error(`expected ${code}, the call succeeded`);
  expect(outcome.error.code, outcome.error.details).toBe(status);
  expect(outcome.error.metadata.get(ERROR_METADATA_KEY), 'palyra-error-bin trailer').toHaveLength(1);
  expect(outcome.palyra.code, outcome.palyra.message).toBe(code);
  return outcome.palyra;
}

// ------------------------------------------------------------------ raw PairingService calls

export function pairingInfo(client: PairingServiceClient): Promise<PairingInfo__Output> {
  return new Promise((resolve, reject) => {
    client.GetPairingInfo({}, { deadline: Date.now() + 10_000 }, (error, value) => {
      if (error) reject(fromServiceError(error));
      else resolve(value as PairingInfo__Output);
    });
  });
}

/**
 * A raw Pair stream, as an attacker would drive it: reads the daemon's messages one by one and
 * exposes the status the daemon ended the stream with.
 */
export class PairProbe {
  readonly call: grpc.ClientDuplexStream<PairClientMessage, PairServerMessage__Output>;
  private readonly queue: PairServerMessage__Output[] = [];
  private readonly waiters: Array<() => void> = [];
  private finalStatus: CallOutcome<never> | { ok: true; value: 'ended' } | undefined;
  /** Resolves with how the stream ended. */
  readonly ended: Promise<CallOutcome<never> | { ok: true; value: 'ended' }>;

  constructor(scope: Scope, client: PairingServiceClient) {
    this.call = scope.call(client.Pair());
    this.call.on('data', (message: PairServerMessage__Output) => {
      this.queue.push(message);
      this.wake();
    });
    this.ended = new Promise((resolve) => {
      this.call.on('error', (error: grpc.ServiceError) => {
        this.finalStatus = { ok: false, error, palyra: fromServiceError(error) };
        resolve(this.finalStatus);
        this.wake();
      });
      this.call.on('status', (status: grpc.StatusObject) => {
        if (status.code !== grpc.status.OK) return;
        this.finalStatus = { ok: true, value: 'ended' };
        resolve(this.finalStatus);
        this.wake();
      });
    });
  }

  send(message: PairClientMessage): void {
    this.call.write(message);
  }

  /** The next message from the daemon; throws if the stream ended first. */
  async next(): Promise<PairServerMessage__Output> {
    for (;;) {
      const message = this.queue.shift();
      if (message !== undefined) return message;
      if (this.finalStatus !== undefined) {
        const detail = this.finalStatus.ok ? 'OK' : `${this.finalStatus.palyra.code}: ${this.finalStatus.palyra.message}`;
        throw new Error(`the Pair stream ended (${detail}) while a message was expected`);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /**
   * The error status the daemon ended the stream with. Fails at once if the daemon sends a
   * message instead (it went on with the exchange where it should have stopped).
   */
  async failure(): Promise<CallOutcome<never>> {
    for (;;) {
      const unexpected = this.queue[0];
      if (unexpected !== undefined) {
        throw new Error(`the daemon answered with ${unexpected.body ?? 'an empty message'} where the stream should have failed`);
      }
      if (this.finalStatus !== undefined) break;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const outcome = this.finalStatus;
    if (outcome.ok) throw new Error('the Pair stream ended with status OK, an error was expected');
    return outcome;
  }

  /** Messages received and not read yet. */
  get unread(): readonly PairServerMessage__Output[] {
    return this.queue;
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

/** Fetches the CA like a node does, then opens a Pair client verified against it (no client cert). */
export async function pairingClient(scope: Scope, d: RunningDaemon): Promise<PairingServiceClient> {
  const { PairingService } = loadPalyraProto();
  const bootstrap = scope.client(
    new PairingService(d.address, grpc.credentials.createSsl(null, null, null, { rejectUnauthorized: false }), RAW_CHANNEL_OPTIONS),
  );
  const info = await pairingInfo(bootstrap);
  expect(info.protocol).toBe(PAIRING_PROTOCOL);
  return scope.client(
    new PairingService(
      d.address,
      grpc.credentials.createSsl(Buffer.from(derToPem(info.caCertDer, 'CERTIFICATE')), null, null, {
        checkServerIdentity: (_host, cert) => checkDaemonCertificate(cert),
      }),
      RAW_CHANNEL_OPTIONS,
    ),
  );
}

export interface PairHelloResult {
  nodeNonce: Buffer;
  serverHello: PairServerHello__Output;
  serverCertDer: Buffer;
}

/** A correct PIN hello on a raw Pair stream; returns what the daemon answered. */
export async function pairHello(probe: PairProbe): Promise<PairHelloResult> {
  const nodeNonce = randomBytes(32);
  probe.send({ hello: { protocol: PAIRING_PROTOCOL, method: 'PAIRING_METHOD_PIN', nonce: nodeNonce } });
  const message = await probe.next();
  expect(message.body).toBe('serverHello');
  const serverCertDer = probe.call.getAuthContext()?.sslPeerCertificate?.raw;
  if (message.serverHello == null || serverCertDer === undefined) throw new Error('no serverHello / server certificate');
  return { nodeNonce, serverHello: message.serverHello, serverCertDer };
}

/**
 * The node-side CPace state after `pairHello`, keyed by a PIN (or PIN guess), or by a raw
 * 32-byte PRS (a wrong guess without the cost of scrypt).
 */
export async function initiatorFor(h: PairHelloResult, pin: string | Uint8Array): Promise<PairingInitiator> {
  return PairingInitiator.create({
    prs: typeof pin === 'string' ? await derivePinPrs(pin, h.serverHello.pinSalt) : pin,
    method: 'pin',
    nodeNonce: h.nodeNonce,
    daemonNonce: h.serverHello.nonce,
    caCertDer: h.serverHello.caCertDer,
    serverCertFingerprint: Buffer.from(fingerprint(h.serverCertDer), 'hex'),
  });
}

/**
 * The node's side of the exchange by hand, with the right PIN and claims of the caller's
 * choosing (a raw client can claim any device id). Sends the confirm and returns the initiator.
 */
export async function confirmByHand(
  probe: PairProbe,
  pin: string,
  claims: NodeClaims,
  ed25519PrivateKey: Uint8Array,
): Promise<PairingInitiator> {
  const initiator = await initiatorFor(await pairHello(probe), pin);
  probe.send({ share: { share: Buffer.from(initiator.share) } });
  const reply = await probe.next();
  initiator.receiveShare(reply.share?.share ?? Buffer.alloc(0));
  const { mac, signature } = initiator.confirm(claims, ed25519PrivateKey);
  probe.send({
    confirm: {
      ...claims,
      ed25519PublicKey: Buffer.from(claims.ed25519PublicKey),
      x25519PublicKey: Buffer.from(claims.x25519PublicKey),
      csrDer: Buffer.from(claims.csrDer),
      mac: Buffer.from(mac),
      signature: Buffer.from(signature),
    },
  });
  return initiator;
}
