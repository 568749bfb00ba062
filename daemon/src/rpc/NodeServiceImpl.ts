import { randomUUID } from 'node:crypto';
import { toServiceError, type DaemonMessage, type HealthPing__Output, type NodeMessage__Output, type NodeServiceHandlers, type SessionHello__Output } from '@palyra/proto';
import { validateLabels } from '@palyra/shared/labels';
import { PalyraError } from '@palyra/shared/errors';
import type { HealthParams } from '@palyra/shared/quic';
import type { DispatchCoordinator, NodeCapabilities, SessionReport } from '../dispatch/index.js';
import type { NodeHealth } from '../health/NodeHealth.js';
import type { NodeRegistry } from '../registry/index.js';
import type { RenewalCall } from '../renewal/RenewalAttempt.js';
import { certificateExpiryTimer } from '../sessions/certificateExpiryTimer.js';
import type { LiveSession, SessionManager } from '../sessions/SessionManager.js';
import type { Logger } from '@palyra/shared/logging';
import { authenticatePeer, authorizeFingerprint, type PeerIdentityLookup } from './authenticatePeer.js';
import { healthParamsFromProto, reportedRttMs } from './healthParamsFromProto.js';
import { boundedString, boundedStringList } from './validate.js';

export interface NodeServiceDeps {
  registry: NodeRegistry;
  sessions: SessionManager;
  capabilities: NodeCapabilities;
  dispatcher: DispatchCoordinator;
  daemonVersion: string;
  /** How long a new Session stream may stay silent before its hello. */
  helloTimeoutMs?: number;
  /** Health figures per node (Session health pings and the Health RPC record into it). */
  health?: NodeHealth;
  /** The QUIC endpoint nodes are told about in RegisterNodeResponse; '' when disabled. */
  quicAddress?: () => string;
  /** Why TLS refused a connection's client certificate, for the error message (see RefusedClientCertificates). */
  refusedCertificate?: (peer: string, now: Date) => string | undefined;
  /** The CAs nodes must trust, and where their reports of what they trust go (CA rotation); absent: neither. */
  trust?: {
    bundlePem(): string;
    recordTrust(deviceId: string, fingerprints: readonly string[]): Promise<void>;
  };
  /** NodeService.RenewCertificate (see renewal/RenewalService.ts); without it, renewal is refused. */
  renewCertificate?: (call: RenewalCall) => void;
  /** A Session closed because its certificate expired is logged here. */
  logger?: Logger;
  now?: () => Date;
}

/** Dispatch ids read from one hello, per list: more than an agent's outbox and in-flight limits hold. */
const MAX_HELLO_DISPATCH_IDS = 10_000;

/** What a hello says about the node's dispatches of earlier sessions, bounded. */
function sessionReport(hello: SessionHello__Output): SessionReport {
  const ids = (list: readonly string[]): string[] => list.slice(0, MAX_HELLO_DISPATCH_IDS).filter((id) => id.length > 0 && id.length <= 64);
  return { runningDispatchIds: ids(hello.runningDispatchIds), finishedDispatchIds: ids(hello.finishedDispatchIds), reconciles: hello.reconciles };
}

/** What a node whose certificate expired on a live connection is told. */
export function expiredError(certExpiresAt: string): PalyraError {
  return new PalyraError(
    'PALYRA_E_PERMISSION_DENIED',
    `this node certificate expired at ${certExpiresAt}: the node must renew it (palyra-node renews by itself, within the daemon's renewal grace), else pair it again`,
    { details: { reason: 'cert_expired', certExpiresAt } },
  );
}

/** NodeService: every RPC authenticates the peer's certificate against the device it names. */
export function createNodeServiceHandlers(deps: NodeServiceDeps): NodeServiceHandlers {
  const { registry, sessions } = deps;
  const peers: PeerIdentityLookup = {
    isRevoked: (fingerprint) => registry.isRevoked(fingerprint),
    nodeForFingerprint: (fingerprint) => registry.nodeForFingerprint(fingerprint),
    refusedCertificate: (peer, now) => deps.refusedCertificate?.(peer, now),
  };

  return {
    RegisterNode(call, callback) {
      void (async () => {
        const request = call.request;
        const peer = authenticatePeer(call, request.deviceId, peers);
        // The node's labels are its own input: refused as a whole (a coded error it sees, and
        // nothing stored) when one breaks the syntax or the count limit.
        const labels = validateLabels(request.labels ?? {});
        // The node presents its renewed certificate: the one it held before is deny-listed now
        // (closing the connections still on it) and no longer accepted. Unless the node's live
        // session still runs on that one: the agent switches make-before-break (RegisterNode,
        // then its new Session), and closing the old session here would list the node offline
        // (failing dispatches sent meanwhile) until the new one opens; the new session's hello
        // confirms instead, right after it replaced the old one.
        const previous = peer.node.previousCertFingerprint;
        if (previous === undefined || sessions.get(peer.deviceId)?.fingerprint !== previous) {
          await registry.confirmCertificate(peer.deviceId, peer.fingerprint);
        }
        // Compiling new schemas takes a moment (in the schema worker): stop if the node gives up.
        const gaveUp = new AbortController();
        call.once('cancelled', () => gaveUp.abort(new PalyraError('PALYRA_E_CANCELLED', 'the node cancelled RegisterNode')));
        const announced = await deps.capabilities.set(peer.deviceId, request.capabilities, { signal: gaveUp.signal });
        const node = await registry.updateNodeInfo(peer.deviceId, {
          name: boundedString(request.name, 'name', 128, { allowEmpty: true }) || peer.node.name,
          platform: boundedString(request.platform, 'platform', 64),
          hostname: boundedString(request.hostname, 'hostname', 255),
          agentVersion: boundedString(request.agentVersion, 'agentVersion', 64),
          capabilities: boundedStringList(
            announced.map((c) => c.id),
            'capabilities',
            { maxItems: 1024, maxLength: 128 },
          ),
          labels,
        });
        await deps.trust?.recordTrust(peer.deviceId, request.trustedCaFingerprints);
        return {
          certExpiresAt: node.certExpiresAt,
          daemonVersion: deps.daemonVersion,
          quicAddress: deps.quicAddress?.() ?? '',
          caBundlePem: deps.trust?.bundlePem() ?? '',
        };
      })().then(
        (response) => callback(null, response),
        (error: unknown) => callback(toServiceError(error)),
      );
    },

    // One-shot: agents on gRPC ping on their Session stream instead (see answerPing below).
    Health(call, callback) {
      try {
        const request = call.request;
        const peer = authenticatePeer(call, request.deviceId, peers);
        deps.health?.admitPing(peer.deviceId);
        const params = healthParamsFromProto(request);
        deps.health?.recordPing(peer.deviceId, params, 'grpc');
        const rttMs = reportedRttMs(request.lastRttMs);
        if (rttMs !== undefined) deps.health?.recordRtt(peer.deviceId, rttMs, 'grpc');
        registry.touchLastSeen(peer.deviceId, new Date());
        callback(null, { receivedAtMs: String(Date.now()), daemonVersion: deps.daemonVersion });
      } catch (error) {
        callback(toServiceError(error));
      }
    },

    RenewCertificate(call) {
      if (deps.renewCertificate === undefined) {
        call.emit('error', toServiceError(new PalyraError('PALYRA_E_INTERNAL', 'certificate renewal is not available on this server')));
        return;
      }
      deps.renewCertificate(call);
    },

    Session(call) {
      let session: LiveSession | undefined;
      /** The certificate seen at hello: health pings re-check it without hashing it again. */
      let fingerprint = '';
      /** Ends the session when the certificate it opened with expires. */
      let expiryTimer: { cancel(): void } | undefined;
      const helloTimer = setTimeout(() => {
        fail(new PalyraError('PALYRA_E_SESSION_PROTOCOL', 'no hello on the session stream within the time allowed'));
      }, deps.helloTimeoutMs ?? 10_000);
      helloTimer.unref();

      function fail(error: unknown): void {
        clearTimeout(helloTimer);
        expiryTimer?.cancel();
        if (call.writableEnded || call.destroyed) return;
        call.emit('error', toServiceError(error));
      }

      function release(): void {
        clearTimeout(helloTimer);
        expiryTimer?.cancel();
        if (session === undefined) return;
        const closing = session;
        session = undefined;
        sessions.detach(closing);
        registry.touchLastSeen(closing.deviceId, new Date());
      }

      call.on('data', (message: NodeMessage__Output) => {
        try {
          if (session === undefined) {
            if (message.body !== 'hello' || message.hello === null || message.hello === undefined) {
              throw new PalyraError('PALYRA_E_SESSION_PROTOCOL', 'the first session message must be hello');
            }
            const peer = authenticatePeer(call, message.hello.deviceId, peers);
            fingerprint = peer.fingerprint;
            clearTimeout(helloTimer);
            const opened: LiveSession = {
              deviceId: peer.deviceId,
              fingerprint: peer.fingerprint,
              remoteAddress: call.getPeer(),
              openedAt: new Date(),
              report: sessionReport(message.hello),
              send: (message) => {
                if (!call.writableEnded && !call.destroyed) call.write(message);
              },
              close: (error) => {
                if (session === opened) session = undefined;
                // Detached here, not by release() (which no longer sees it): closed by its
                // certificate's expiry, it stayed listed online (a no-op when a replacement or a
                // revocation already detached it).
                sessions.detach(opened);
                registry.touchLastSeen(opened.deviceId, new Date());
                fail(error);
              },
            };
            session = opened;
            // Welcome first: attaching lets queued dispatches flow down this stream.
            const welcome: DaemonMessage = { welcome: { sessionId: randomUUID() } };
            call.write(welcome);
            sessions.attach(
              opened,
              new PalyraError('PALYRA_E_PERMISSION_DENIED', 'another session of this device replaced this one'),
            );
            registry.touchLastSeen(peer.deviceId, new Date());
            // A session on the renewed certificate has replaced the one on the previous
            // certificate (if any): that one is deny-listed now (see RegisterNode).
            registry.confirmCertificate(peer.deviceId, peer.fingerprint).catch((error: unknown) => {
              deps.logger?.warn({ deviceId: peer.deviceId, error: PalyraError.from(error).message }, 'could not deny-list the previous certificate of a renewed node (retried at its next RegisterNode)');
            });
            expiryTimer = certificateExpiryTimer(new Date(peer.certExpiresAt), () => {
              deps.logger?.warn(
                { deviceId: peer.deviceId, certFingerprint: peer.fingerprint, certExpiresAt: peer.certExpiresAt, transport: 'grpc' },
                'closed a node session: its certificate expired (the node must renew it)',
              );
              opened.close(expiredError(peer.certExpiresAt));
            }, { now: deps.now });
            return;
          }
          // No lastSeen here: an online node is listed as seen now, and the session's open and
          // close set it. Touching it per message had the registry rewrite the whole state file
          // every few seconds on a busy daemon (the file holds every node's certificate).
          if (message.body === 'health') {
            if (message.health) answerPing(session, message.health);
            return;
          }
          if (message.body === 'trustAck') {
            const live = session;
            if (message.trustAck && deps.trust !== undefined) {
              // A malformed report ends the session like any protocol violation.
              deps.trust.recordTrust(live.deviceId, message.trustAck.caFingerprints).catch((error: unknown) => {
                if (session === live) fail(error);
              });
            }
            return;
          }
          deps.dispatcher.handleNodeMessage(session.deviceId, message);
        } catch (error) {
          fail(error);
        }
      });
      /**
       * A health ping on the open stream: re-check the certificate (a revoked node's session is
       * also closed by the revocation itself; a failed check ends the session) and the node's
       * ping budget (over it, the session ends with LIMIT_EXCEEDED), record it, answer with a pong. A ping with invalid figures gets a pong carrying the error.
       */
      function answerPing(live: LiveSession, ping: HealthPing__Output): void {
        const now = new Date();
        authorizeFingerprint(fingerprint, live.deviceId, registry, now);
        // A node over its ping budget loses the session it floods (it reconnects with backoff).
        deps.health?.admitPing(live.deviceId, now);
        let params: HealthParams;
        try {
          params = healthParamsFromProto(ping);
        } catch (error) {
          const refused = PalyraError.from(error);
          live.send({ health: { seq: ping.seq, receivedAtMs: String(now.getTime()), error: { code: refused.code, message: refused.message } } });
          return;
        }
        deps.health?.recordPing(live.deviceId, params, 'grpc', now);
        const rttMs = reportedRttMs(ping.lastRttMs);
        if (rttMs !== undefined) deps.health?.recordRtt(live.deviceId, rttMs, 'grpc');
        live.send({ health: { seq: ping.seq, receivedAtMs: String(now.getTime()) } });
      }

      call.on('end', () => {
        release();
        if (!call.writableEnded) call.end();
      });
      call.on('cancelled', release);
      call.on('error', release);
      call.on('close', release);
    },
  };
}
