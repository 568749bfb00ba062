import { hostname as osHostname, platform as osPlatform, arch } from 'node:os';
import { fromServiceError, loadPalyraProto, type DaemonMessage__Output, type NodeMessage, type NodeServiceClient } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import { Backoff, sleep } from '@palyra/shared/timing';
import type { NodeIdentity } from '../identity/index.js';
import { AGENT_VERSION } from '../version.js';
import type { CapabilityExecutor } from './CapabilityExecutor.js';
import { stderrLogger } from '../plugins/stderrLogger.js';
import { ResultOutbox } from './ResultOutbox.js';
import { RunningDispatches } from './RunningDispatches.js';
import type { SessionHealth } from './SessionHealth.js';
import { CLIENT_CHANNEL_OPTIONS } from './clientOptions.js';
import { IdentityHolder } from '../renewal/IdentityHolder.js';
import { trustedCaFingerprints } from '../renewal/trustBundle.js';
import { createDaemonCredentials } from './daemonCredentials.js';

export interface NodeConnectionEvents {
  /** Registered and the session stream is open. */
  onReady?: (info: { deviceId: string; reconnect: boolean }) => void;
  /** The session ended or a connect attempt failed; the connection retries after `retryInMs`. */
  onDisconnected?: (info: { error: PalyraError; retryInMs: number }) => void;
  /** RegisterNode succeeded; `quicAddress` is the daemon's QUIC endpoint ('' when disabled). */
  onRegistered?: (info: { quicAddress: string }) => void;
  /** SHA-256 (lowercase hex) the daemon's server certificate must have; a mismatch is fatal. */
  pinnedFingerprint?: string;
  /** Health pings ride each welcomed Session stream through this (HealthChannel's gRPC path). */
  sessionHealth?: SessionHealth;
  /** Certificate renewal and trust bundles (NodeAgent passes one; without it, no renewal). */
  lifecycle?: CertificateLifecycle;
  /** The node's labels from its config, sent at each RegisterNode (validated at config load). */
  labels?: Readonly<Record<string, string>>;
}

/** What the connection asks of the certificate lifecycle (agent/src/renewal/CertificateLifecycle). */
export interface CertificateLifecycle {
  /** Resolves when the certificate in use can connect; waits for a grace renewal while it expired; rejects when the node must pair again. */
  ensureUsable(signal: AbortSignal): Promise<void>;
  /** RegisterNode with `identity` succeeded; `caBundlePem` is the daemon's trust bundle ('' from an older daemon). */
  registered(identity: NodeIdentity, caBundlePem: string): void;
  /** The daemon refused this node's certificate: true when the lifecycle fixed it (retry now), false to give up. */
  refused(error: PalyraError, signal: AbortSignal): Promise<boolean>;
  /** The daemon pushed RenewNow. */
  requestNow(reason: string): void;
  /** The daemon pushed a trust bundle (stored, then acknowledged on the session). */
  trustBundle(pem: string): void;
  /** A welcomed session's sender (TrustAck), and its end. */
  attachSession(send: (message: NodeMessage) => void): void;
  detachSession(send: (message: NodeMessage) => void): void;
}

/** What a node's work outlives sessions in: the dispatches it runs and the results it holds. */
export interface NodeWork {
  dispatches: RunningDispatches;
  outbox: ResultOutbox;
}

/** At most this many ids of each kind in a hello (the outbox holds fewer; running ones are bounded by the daemon's in-flight limit). */
const MAX_HELLO_IDS = 4_096;

/** A session that lasted this long counts as healthy: the backoff starts over. */
const HEALTHY_SESSION_MS = 10_000;

/**
 * Keeps one node connected: RegisterNode, then the Session stream, and again with jittered
 * backoff after any error (grpc streams never come back by themselves). Stops when the signal
 * aborts; rejects when the daemon refuses this node's identity (revoked or removed), since
 * retrying cannot fix that.
 */
export class NodeConnection {
  private readonly backoff = new Backoff();
  private readonly work: NodeWork;
  private readonly holder: IdentityHolder;
  /** The current connect attempt or session; aborting it ends them (see interrupt). */
  private iteration: AbortController | undefined;
  private interruption: { kind: 'switch' | 'expired'; reason: string } | undefined;
  /** The welcomed session's handover trigger (see session()). */
  private handover: AbortController | undefined;
  /** Ends the session handed over from, once its successor is welcomed. */
  private retiring: (() => void) | undefined;

  /** `work` outlives this connection's sessions (NodeAgent passes one with a stored outbox); by default results are held in memory only. */
  constructor(
    identity: NodeIdentity | IdentityHolder,
    private readonly executor: CapabilityExecutor,
    private readonly events: NodeConnectionEvents = {},
    work?: NodeWork,
  ) {
    this.holder = identity instanceof IdentityHolder ? identity : new IdentityHolder(identity);
    if (work !== undefined) this.work = work;
    else {
      const outbox = ResultOutbox.inMemory(stderrLogger);
      this.work = { outbox, dispatches: new RunningDispatches(executor, outbox) };
    }
  }

  /** The identity in use right now (renewal replaces it). */
  get identity(): NodeIdentity {
    return this.holder.current;
  }

  /**
   * Ends the current session (or connect attempt) at once. `switch`: new credentials are in
   * place, reconnect with them now; `expired`: the certificate in use expired, the next
   * connect waits until a renewal brought a usable one.
   */
  interrupt(kind: 'switch' | 'expired', reason: string): void {
    this.interruption = { kind, reason };
    this.iteration?.abort();
    if (kind === 'expired') this.retireOld();
  }

  async run({ signal }: { signal: AbortSignal }): Promise<void> {
    let connectedBefore = false;
    // A renewed certificate is connected with at once, make-before-break: a welcomed session
    // stays open (dispatches keep arriving on it) while the new one registers; the new
    // session's welcome retires it (the daemon replaces it by then anyway). The dispatches
    // and the outbox carry over (they outlive sessions), the hello reports them. Without a
    // welcomed session there is nothing to keep: the attempt is interrupted.
    const unsubscribe = this.holder.onChange((_identity, change) => {
      if (change !== 'credentials') return;
      if (this.handover !== undefined) this.handover.abort();
      else this.interrupt('switch', 'switching to the renewed certificate');
    });
    try {
      while (!signal.aborted) {
        // An interruption aimed at an earlier attempt is spent: this one starts with the identity in use now.
        this.interruption = undefined;
        const iteration = new AbortController();
        const onAbort = (): void => iteration.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        this.iteration = iteration;
        try {
          await this.connectOnce(iteration.signal, signal, () => {
            this.retireOld();
            this.events.onReady?.({ deviceId: this.identity.deviceId, reconnect: connectedBefore });
            connectedBefore = true;
          });
        } finally {
          signal.removeEventListener('abort', onAbort);
          this.iteration = undefined;
        }
      }
    } finally {
      unsubscribe();
      this.retireOld();
    }
  }

  /** Ends the session a renewal handed over from, if one is still open. */
  private retireOld(): void {
    const retire = this.retiring;
    this.retiring = undefined;
    retire?.();
  }

  /** One connect: wait for usable credentials, RegisterNode, the Session stream; then the retry decision. */
  private async connectOnce(iteration: AbortSignal, signal: AbortSignal, onWelcome: () => void): Promise<void> {
    const { lifecycle } = this.events;
    if (lifecycle !== undefined) await lifecycle.ensureUsable(signal);
    // An interruption before this connect (an expiry, a switch that ensureUsable waited for)
    // is spent; the attempt starts over on a fresh iteration (this one's signal is aborted).
    if (signal.aborted || iteration.aborted) {
      this.interruption = undefined;
      return;
    }
    const identity = this.identity;
    let pinMismatch: string | undefined;
    const client = this.createClient(identity, (actual) => {
      pinMismatch = actual;
    });
    const openedAt = Date.now();
    let handedOver = false;
    try {
      await this.register(client, identity, iteration);
      const retire = await this.session(client, identity, iteration, onWelcome);
      // New credentials: this session stays open until the next one is welcomed.
      this.retireOld();
      this.retiring = retire;
      handedOver = true;
    } catch (error) {
      // The session a renewal handed over from has no successor after all: end it too.
      this.retireOld();
      const palyra = fromServiceError(error, `the daemon at ${identity.daemonAddress}`);
      if (signal.aborted) return;
      const interruption = this.takeInterruption();
      if (interruption !== undefined) {
        if (interruption.kind === 'expired') this.events.onDisconnected?.({ error: new PalyraError('PALYRA_E_UNAUTHENTICATED', interruption.reason), retryInMs: 0 });
        return;
      }
      if (pinMismatch !== undefined) {
        throw new PalyraError(
          'PALYRA_E_SERVER_IDENTITY',
          `the daemon at ${identity.daemonAddress} presented a certificate with fingerprint ${pinMismatch}, not the pinned ${String(this.events.pinnedFingerprint)}`,
          { cause: palyra },
        );
      }
      if (palyra.code === 'PALYRA_E_PERMISSION_DENIED' || palyra.code === 'PALYRA_E_UNAUTHENTICATED') {
        // The renewal lifecycle may still save this node: the previous certificate (the
        // daemon lost the renewal), or a renewal over the grace path (it expired).
        if (lifecycle !== undefined && (await lifecycle.refused(palyra, signal))) return;
        throw palyra;
      }
      if (Date.now() - openedAt > HEALTHY_SESSION_MS) this.backoff.reset();
      const retryInMs = this.backoff.nextDelayMs();
      this.events.onDisconnected?.({ error: palyra, retryInMs });
      // A renewed certificate arriving meanwhile ends the wait (the iteration is interrupted).
      await sleep(retryInMs, iteration);
    } finally {
      if (!handedOver) client.close();
    }
  }

  /** The interruption that ended this attempt, if any (cleared). */
  private takeInterruption(): { kind: 'switch' | 'expired'; reason: string } | undefined {
    const interruption = this.interruption;
    this.interruption = undefined;
    return interruption;
  }

  private createClient(identity: NodeIdentity, onPinMismatch: (actual: string) => void): NodeServiceClient {
    const { NodeService } = loadPalyraProto();
    return new NodeService(identity.daemonAddress, createDaemonCredentials(identity, this.events.pinnedFingerprint, onPinMismatch), CLIENT_CHANNEL_OPTIONS);
  }

  private register(client: NodeServiceClient, identity: NodeIdentity, signal: AbortSignal): Promise<void> {
    const { lifecycle } = this.events;
    return new Promise((resolve, reject) => {
      const call = client.RegisterNode(
        {
          deviceId: identity.deviceId,
          name: identity.name,
          platform: `${osPlatform()}-${arch()}`,
          hostname: osHostname(),
          agentVersion: AGENT_VERSION,
          capabilities: this.executor.capabilities().map((c) => ({
            id: c.id,
            kind: c.kind,
            description: c.description,
            plugin: c.plugin,
            inputSchemaJson: JSON.stringify(c.inputSchema),
            outputSchemaJson: JSON.stringify(c.outputSchema),
          })),
          trustedCaFingerprints: safeTrustedCaFingerprints(identity.caCertPem),
          labels: { ...(this.events.labels ?? {}) },
        },
        { deadline: Date.now() + 15_000 },
        (error, response) => {
          signal.removeEventListener('abort', onAbort);
          if (error) reject(error);
          else {
            // The daemon has seen this certificate: a previous one kept for safety can go.
            lifecycle?.registered(identity, response?.caBundlePem ?? '');
            this.events.onRegistered?.({ quicAddress: response?.quicAddress ?? '' });
            resolve();
          }
        },
      );
      const onAbort = (): void => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Runs one Session stream until it ends; always rejects with why it ended. The hello says
   * what this node still runs and which results it holds; after the welcome the held results
   * go up. When the session ends, what runs keeps running, and a message that arrives after
   * that (grpc-js can deliver buffered messages after the error) starts nothing: the stream is
   * dead, the daemon will learn from the next hello what this node has.
   */
  private session(client: NodeServiceClient, identity: NodeIdentity, signal: AbortSignal, onWelcome: () => void): Promise<() => void> {
    const { lifecycle } = this.events;
    const { dispatches, outbox } = this.work;
    return new Promise<() => void>((resolve, reject) => {
      const call = client.Session();
      let open = true;
      // Aborted by new credentials once this session is welcomed: resolve with the way to
      // end it (the caller connects the successor first).
      const handover = new AbortController();
      handover.signal.addEventListener('abort', () => {
        if (this.handover === handover) this.handover = undefined;
        signal.removeEventListener('abort', onAbort);
        resolve(() => {
          call.cancel();
          client.close();
        });
      }, { once: true });
      const send = (message: NodeMessage): void => {
        if (open && !call.writableEnded && !call.destroyed) call.write(message);
      };
      const onAbort = (): void => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
      const end = (error: unknown): void => {
        if (!open) return;
        open = false;
        if (this.handover === handover) this.handover = undefined;
        signal.removeEventListener('abort', onAbort);
        // Only this session's sender: a successor may already be attached.
        dispatches.detach(send);
        outbox.detach(send);
        lifecycle?.detachSession(send);
        this.events.sessionHealth?.detach(fromServiceError(error, 'the session'), send);
        reject(error);
      };
      call.on('data', (message: DaemonMessage__Output) => {
        if (!open || signal.aborted) return;
        switch (message.body) {
          case 'welcome':
            this.events.sessionHealth?.attach(send);
            dispatches.attach(send);
            outbox.attach(send);
            lifecycle?.attachSession(send);
            this.handover = handover;
            onWelcome();
            break;
          case 'renew':
            lifecycle?.requestNow(`the daemon asked (${(message.renew?.reason ?? '').slice(0, 200)})`);
            break;
          case 'trustBundle':
            if (message.trustBundle) lifecycle?.trustBundle(message.trustBundle.caBundlePem);
            break;
          case 'health':
            if (message.health) this.events.sessionHealth?.handlePong(message.health);
            break;
          case 'dispatch':
            if (message.dispatch) dispatches.start(message.dispatch);
            break;
          case 'cancel':
            if (message.cancel) dispatches.cancel(message.cancel.dispatchId);
            break;
          case 'resultAck':
            if (message.resultAck) outbox.ack(message.resultAck.dispatchId);
            break;
          default:
            break;
        }
      });
      call.on('error', end);
      call.on('end', () => end(new PalyraError('PALYRA_E_DAEMON_UNREACHABLE', 'the daemon closed the session')));
      call.write({
        hello: {
          deviceId: identity.deviceId,
          reconciles: true,
          runningDispatchIds: dispatches.ids.slice(0, MAX_HELLO_IDS),
          finishedDispatchIds: outbox.ids.slice(0, MAX_HELLO_IDS),
        },
      });
    });
  }
}

/** The fingerprints of the stored CA bundle; none when it cannot be read (the daemon then sends its bundle). */
function safeTrustedCaFingerprints(caCertPem: string): string[] {
  try {
    return trustedCaFingerprints(caCertPem);
  } catch {
    return [];
  }
}
