/**
 * A daemon's NodeService whose sessions a test drives by hand: a real @grpc/grpc-js server on
 * 127.0.0.1 port 0 with the real daemon's TLS identity and CA (client certificates required
 * and checked), answering RegisterNode, and handing each Session stream to the test, which
 * sees what the node sends (its hello first) and decides what goes down and when the session
 * dies. For what the real daemon cannot be made to do on cue: lose a session mid-dispatch,
 * refuse sessions for a while, hold back an acknowledgement.
 */
import * as grpc from '@grpc/grpc-js';
import { loadPalyraProto, type DaemonMessage, type NodeMessage__Output, type NodeServiceHandlers, type SessionHello__Output } from '@palyra/proto';
import type { Scope } from '../integration/harness.js';
import { pollUntil } from './processes.js';

export interface ScriptedSession {
  readonly hello: SessionHello__Output;
  /** Everything the node sent after its hello but health pings, in order. */
  readonly received: NodeMessage__Output[];
  readonly ended: Promise<void>;
  send(message: DaemonMessage): void;
  /** Ends the session the way a lost daemon does for the node: an UNAVAILABLE status. */
  kill(): void;
  /** Waits until the node sent a message `pick` accepts, and returns what `pick` returned. */
  waitFor<T>(pick: (message: NodeMessage__Output) => T | undefined, what: string, timeoutMs?: number): Promise<T>;
}

export class ScriptedDaemon {
  readonly sessions: ScriptedSession[] = [];
  /** While true, each new Session stream is ended at once with UNAVAILABLE (a daemon not back yet). */
  refuseSessions = false;
  refused = 0;

  /** 127.0.0.1:<port>, once bound. */
  address = '';

  private constructor() {}

  static async start(scope: Scope, tls: { keyPem: string; certPem: string; caCertPem: string }): Promise<ScriptedDaemon> {
    const server = scope.server(new grpc.Server());
    const daemon = new ScriptedDaemon();
    const handlers: Pick<NodeServiceHandlers, 'RegisterNode' | 'Session'> = {
      RegisterNode(_call, callback) {
        callback(null, { certExpiresAt: new Date(Date.now() + 86_400_000).toISOString(), daemonVersion: 'scripted', quicAddress: '' });
      },
      Session(call) {
        const self = daemon;
        let session: ScriptedSession | undefined;
        let endSession = (): void => {};
        const ended = new Promise<void>((resolve) => (endSession = resolve));
        const kill = (): void => {
          if (!call.writableEnded && !call.destroyed) call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'the scripted daemon dropped the session' });
        };
        for (const event of ['end', 'cancelled', 'error', 'close']) call.on(event, () => endSession());
        if (self.refuseSessions) {
          self.refused += 1;
          kill();
          return;
        }
        const received: NodeMessage__Output[] = [];
        call.on('data', (message: NodeMessage__Output) => {
          if (session !== undefined) {
            // Health pings are answered, as the daemon does, so that the node's health channel stays quiet.
            if (message.health) session.send({ health: { seq: message.health.seq, receivedAtMs: String(Date.now()) } });
            else received.push(message);
            return;
          }
          if (message.hello === null || message.hello === undefined) return kill();
          session = {
            hello: message.hello,
            received,
            ended,
            send: (down) => {
              if (!call.writableEnded && !call.destroyed) call.write(down);
            },
            kill,
            waitFor: (pick, what, timeoutMs = 20_000) =>
              pollUntil(async () => received.map(pick).find((value) => value !== undefined), { timeoutMs, intervalMs: 20, what }),
          };
          session.send({ welcome: { sessionId: `scripted-${self.sessions.length + 1}` } });
          self.sessions.push(session);
        });
      },
    };
    server.addService(loadPalyraProto().NodeService.service, handlers);
    const credentials = grpc.ServerCredentials.createSsl(Buffer.from(tls.caCertPem), [{ private_key: Buffer.from(tls.keyPem), cert_chain: Buffer.from(tls.certPem) }], true);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
    });
    daemon.address = `127.0.0.1:${port}`;
    return daemon;
  }

  /** Waits for the node's next session (the one after the `count` already seen). */
  nextSession(count = this.sessions.length, timeoutMs = 60_000): Promise<ScriptedSession> {
    return pollUntil(async () => this.sessions[count], { timeoutMs, intervalMs: 20, what: `session ${count + 1} of the node` });
  }
}
