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

  /** `work` outlives this connection's sessions (NodeAgent passes one with a stored outbox); by default results are held in memory only. */
  constructor(
    private readonly identity: NodeIdentity,
    private readonly executor: CapabilityExecutor,
    private readonly events: NodeConnectionEvents = {},
    work?: NodeWork,
  ) {
    if (work !== undefined) this.work = work;
    else {
      const outbox = ResultOutbox.inMemory(stderrLogger);
      this.work = { outbox, dispatches: new RunningDispatches(executor, outbox) };
    }
  }

  async run({ signal }: { signal: AbortSignal }): Promise<void> {
    let connectedBefore = false;
    while (!signal.aborted) {
      let pinMismatch: string | undefined;
      const client = this.createClient((actual) => {
        pinMismatch = actual;
      });
      const openedAt = Date.now();
      try {
        await this.register(client, signal);
        await this.session(client, signal, () => {
          this.events.onReady?.({ deviceId: this.identity.deviceId, reconnect: connectedBefore });
          connectedBefore = true;
        });
      } catch (error) {
        const palyra = fromServiceError(error, `the daemon at ${this.identity.daemonAddress}`);
        if (signal.aborted) break;
        if (pinMismatch !== undefined) {
          throw new PalyraError(
            'PALYRA_E_SERVER_IDENTITY',
            `the daemon at ${this.identity.daemonAddress} presented a certificate with fingerprint ${pinMismatch}, not the pinned ${String(this.events.pinnedFingerprint)}`,
            { cause: palyra },
          );
        }
        if (palyra.code === 'PALYRA_E_PERMISSION_DENIED' || palyra.code === 'PALYRA_E_UNAUTHENTICATED') throw palyra;
        if (Date.now() - openedAt > HEALTHY_SESSION_MS) this.backoff.reset();
        const retryInMs = this.backoff.nextDelayMs();
        this.events.onDisconnected?.({ error: palyra, retryInMs });
        await sleep(retryInMs, signal);
      } finally {
        client.close();
      }
    }
  }

  private createClient(onPinMismatch: (actual: string) => void): NodeServiceClient {
    const { NodeService } = loadPalyraProto();
    return new NodeService(
      this.identity.daemonAddress,
      createDaemonCredentials(this.identity, this.events.pinnedFingerprint, onPinMismatch),
      CLIENT_CHANNEL_OPTIONS,
    );
  }

  private register(client: NodeServiceClient, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const call = client.RegisterNode(
        {
          deviceId: this.identity.deviceId,
          name: this.identity.name,
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
        },
        { deadline: Date.now() + 15_000 },
        (error, response) => {
          signal.removeEventListener('abort', onAbort);
          if (error) reject(error);
          else {
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
  private session(client: NodeServiceClient, signal: AbortSignal, onWelcome: () => void): Promise<never> {
    const { dispatches, outbox } = this.work;
    return new Promise<never>((_resolve, reject) => {
      const call = client.Session();
      let open = true;
      const send = (message: NodeMessage): void => {
        if (open && !call.writableEnded && !call.destroyed) call.write(message);
      };
      const onAbort = (): void => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
      const end = (error: unknown): void => {
        if (!open) return;
        open = false;
        signal.removeEventListener('abort', onAbort);
        dispatches.detach();
        outbox.detach();
        this.events.sessionHealth?.detach(fromServiceError(error, 'the session'));
        reject(error);
      };
      call.on('data', (message: DaemonMessage__Output) => {
        if (!open || signal.aborted) return;
        switch (message.body) {
          case 'welcome':
            this.events.sessionHealth?.attach(send);
            dispatches.attach(send);
            outbox.attach(send);
            onWelcome();
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
          deviceId: this.identity.deviceId,
          reconciles: true,
          runningDispatchIds: dispatches.ids.slice(0, MAX_HELLO_IDS),
          finishedDispatchIds: outbox.ids.slice(0, MAX_HELLO_IDS),
        },
      });
    });
  }
}
