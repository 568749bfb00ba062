import type * as grpc from '@grpc/grpc-js';
import { toServiceError, type AdminServiceHandlers, type CaStatus, type DaemonStatus, type NodeInfo } from '@palyra/proto';
import { PalyraError } from '@palyra/shared/errors';
import { MAX_LABELS, mergeLabels, validateLabels } from '@palyra/shared/labels';
import type { Logger } from '@palyra/shared/logging';
import { formatQrUri } from '@palyra/shared/pairing';
import type { DispatchCoordinator, NodeCapabilities } from '../dispatch/index.js';
import type { PairingCodeMinter } from '../pairing/PairingCodeMinter.js';
import type { PairingDecisions } from '../pairing/PairingDecisions.js';
import type { NodeRegistry } from '../registry/index.js';
import type { CaRotation, CaStatus as CaStatusReport } from '../ca/CaRotation.js';
import type { NodeRecord } from '../registry/types.js';
import type { SessionManager } from '../sessions/SessionManager.js';
import { createWatchDispatchHandler, listLimit, toDispatchInfo } from './dispatchesHandlers.js';
import { createInvokeHandler } from './invokeHandler.js';
import { createInvokeManyHandler } from './invokeManyHandler.js';
import { DaemonEvents } from '../events/DaemonEvents.js';
import type { NodeHealth } from '../health/NodeHealth.js';
import { toPendingRequest } from './pendingRequest.js';
import { renewNodes } from './renewNodesHandler.js';
import { countCertStates, nodeCertState } from '../certificates/nodeCertState.js';
import { DEFAULT_RENEWAL_GRACE_MS } from '../renewal/RenewalService.js';
import { createStreamEventsHandler } from './streamEventsHandler.js';
import { actorOf } from '../access/callActor.js';
import { auditDenied } from '../access/auditDenied.js';
import { assertDispatchAllowed, nodeVisible, scopesAllow, seesEveryNode } from '../access/scopes.js';
import type { TokenService } from '../access/TokenService.js';
import type { AuditSink } from '../audit/types.js';
import type { InvokeAccess } from './invokeHandler.js';
import { createToken, listTokens, revokeToken } from './tokensHandlers.js';
import { NodeVisibility, dispatchNotFound } from './nodeVisibility.js';
import { ApprovalsWatchers, createWatchApprovalsHandler } from './watchApprovalsHandler.js';
import type { AuditPage, AuditQuery } from '../audit/listAuditLog.js';
import type { AuditVerificationReport } from '../audit/verifyAuditLog.js';
import { auditActorOf } from '../access/auditDenied.js';
import { auditedUnary } from './auditedUnary.js';
import { pageOfNodes } from './nodePages.js';
import type { Actor } from '../access/Actor.js';
import { isDeviceIdReference, resolveDeviceId } from './nodeReference.js';
import { listAuditHandler, verifyAuditHandler } from './auditHandlers.js';

export interface AdminServiceDeps {
  registry: NodeRegistry;
  sessions: SessionManager;
  minter: PairingCodeMinter;
  decisions: PairingDecisions;
  dispatcher: DispatchCoordinator;
  capabilities: NodeCapabilities;
  status: () => Omit<DaemonStatus, 'nodesOnline' | 'nodesOffline' | 'requestsPending' | 'certificates'>;
  /** The renewal grace, for certificate states (nodes list, status). Default 30 days. */
  renewalGraceMs?: number;
  /** Clock of the certificate states; inject one in tests. */
  now?: () => Date;
  advertisedAddress: string;
  /** The CA nodes pin when they pair (the server certificate's CA: it changes during a CA rotation). */
  caFingerprint: () => string;
  /** CA rotation (RotateCa, GetCaStatus, FinishCaRotation); absent: those refuse. */
  rotation?: CaRotation;
  defaultCodeTtlMs: number;
  maxCodeTtlMs: number;
  /** Transport and last health round trip per node (nodes list); absent: not shown. */
  health?: NodeHealth;
  /** The event bus operators follow with StreamEvents; absent: StreamEvents sees nothing. */
  events?: DaemonEvents;
  /** Where failures of the streams nobody awaits (StreamEvents) are logged. */
  logger?: Logger;
  /** API tokens (CreateToken, ListTokens, RevokeToken; the remote endpoint's authentication). */
  tokens?: TokenService;
  /**
   * Where every decision and action is recorded (the daemon's AuditLog): each entry is durable
   * before the RPC answers; token.create, token.revoke and auth.denied too. Absent (unit
   * tests): nothing is recorded.
   */
  audit?: AuditSink;
  /** Reads and verifies the audit log (ListAudit, VerifyAudit); absent: those refuse. */
  auditLog?: AuditReader;
}

/** The reading side of the audit log (AuditLog implements it). */
export interface AuditReader {
  list(query: AuditQuery, options?: { signal?: AbortSignal }): Promise<AuditPage>;
  verify(options?: { signal?: AbortSignal }): Promise<AuditVerificationReport>;
}

/** AdminService: what local operators (the CLI, the TUI) can do through the admin socket. */
export function createAdminServiceHandlers(
  deps: AdminServiceDeps,
  { watchers = new ApprovalsWatchers() }: { watchers?: ApprovalsWatchers } = {},
): AdminServiceHandlers {
  const { registry, sessions } = deps;
  const { audit, logger } = deps;
  const watchDispatch = createWatchDispatchHandler(deps.dispatcher);
  const certContext = () => ({ now: deps.now?.() ?? new Date(), graceMs: deps.renewalGraceMs ?? DEFAULT_RENEWAL_GRACE_MS });

  const toNodeInfo = (node: NodeRecord): NodeInfo => ({
    deviceId: node.deviceId,
    name: node.name,
    platform: node.platform,
    hostname: node.hostname,
    agentVersion: node.agentVersion,
    capabilities: node.capabilities,
    // Operator labels win over the node's own (the merged set is what selectors match).
    labels: mergeLabels(node.labels, node.operatorLabels ?? {}),
    nodeLabels: node.labels,
    operatorLabels: node.operatorLabels ?? {},
    status: sessions.isOnline(node.deviceId) ? 'online' : 'offline',
    transport: deps.health?.transportOf(node.deviceId, sessions.isOnline(node.deviceId)) ?? '',
    healthRttMs: deps.health?.get(node.deviceId)?.rttMs ?? 0,
    lastHealthAt: deps.health?.get(node.deviceId)?.at ?? '',
    clockSkewMs: deps.health?.get(node.deviceId)?.clockSkewMs ?? 0,
    lastSeen: sessions.isOnline(node.deviceId) ? new Date().toISOString() : (node.lastSeen ?? ''),
    certFingerprint: node.certFingerprint,
    certExpiresAt: node.certExpiresAt,
    certState: nodeCertState(node, certContext()),
    certIssuedAt: node.certIssuedAt ?? '',
    certRenewedAt: node.lastRenewedAt ?? '',
    pairedAt: node.pairedAt,
    capabilityDetails: deps.capabilities.list(node.deviceId).map((c) => ({
      id: c.id,
      kind: c.kind,
      description: c.description,
      plugin: c.plugin,
      inputSchemaJson: c.inputSchemaJson,
      outputSchemaJson: c.outputSchemaJson,
    })),
  });

  const visibility = new NodeVisibility(registry, deps.dispatcher);
  /**
   * The device id a node reference names for this caller (nodeReference.ts). A full device id
   * keeps its meaning for an unregistered device (NODE_NOT_FOUND from the registry) and, for
   * a token, the checks that applied before references existed.
   */
  const deviceIdOf = (actor: Actor, reference: string): string => {
    if (isDeviceIdReference(reference)) {
      visibility.assertNode(actor, reference);
      return reference;
    }
    return resolveDeviceId(registry, actor, reference);
  };
  const invokeAccess: InvokeAccess = {
    authorize(call, request) {
      const actor = actorOf(call);
      // A token revoked or expired since its call was admitted starts nothing more on it.
      if (actor.kind === 'token' && actor.signal.aborted) {
        throw actor.signal.reason instanceof PalyraError ? actor.signal.reason : new PalyraError('PALYRA_E_UNAUTHENTICATED', 'the API token is no longer valid');
      }
      // A full device id goes to the dispatch checks as before (a token outside its selector is
      // FORBIDDEN, audited); a prefix or a name resolves among the nodes the caller sees.
      const deviceId = isDeviceIdReference(request.deviceId) ? request.deviceId : resolveDeviceId(registry, actor, request.deviceId);
      try {
        assertDispatchAllowed(actor, deviceId, request.capability, registry.getNode(deviceId));
      } catch (error) {
        if (error instanceof PalyraError && error.code === 'PALYRA_E_FORBIDDEN') auditDenied(deps.audit, deps.logger, actor, 'Invoke', error);
        throw error;
      }
      return deviceId === request.deviceId ? request : { ...request, deviceId };
    },
    charge(call) {
      deps.tokens?.charge(actorOf(call));
    },
    caller(call) {
      const actor = actorOf(call);
      return actor.kind === 'local' ? 'local' : `token:${actor.tokenId}`;
    },
  };

  return {
    GetStatus: unary(async (_request, call) => {
      const actor = actorOf(call);
      // A token limited by a node selector counts only its nodes (and the requests it is shown).
      const nodes = registry.listNodes().filter((node) => nodeVisible(actor, node));
      const online = nodes.filter((n) => sessions.isOnline(n.deviceId)).length;
      return {
        ...deps.status(),
        nodesOnline: online,
        nodesOffline: nodes.length - online,
        requestsPending: (await registry.pendingRequests()).filter((r) => visibility.request(actor, r.deviceId)).length,
        certificates: (({ in_grace: inGrace, ...rest }) => ({ ...rest, inGrace }))(countCertStates(nodes, certContext())),
      };
    }),

    CreatePairingCode: auditedUnary(
      {
        audit,
        logger,
        action: 'pairing.code.create',
        // The method and expiry only: the PIN or QR token never reaches the log.
        facts: (request, response) => ({ details: { method: request.method, ...(response === undefined ? {} : { expiresAt: response.expiresAt, supersededPrevious: response.supersededPrevious }) } }),
      },
      async (request) => {
        if (request.method !== 'pin' && request.method !== 'qr') {
          throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `pairing method "${request.method}" is unknown: use pin or qr`);
        }
        const ttlMs = request.ttlSeconds > 0 ? request.ttlSeconds * 1000 : deps.defaultCodeTtlMs;
        if (ttlMs > deps.maxCodeTtlMs) {
          throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `--ttl must be at most ${deps.maxCodeTtlMs / 60_000}m`);
        }
        const common = { daemon: deps.advertisedAddress, caFingerprint: deps.caFingerprint() };
        if (request.method === 'qr') {
          const minted = await deps.minter.mintQr({ ttlMs });
          const token = Buffer.from(minted.token).toString('base64url');
          const uri = formatQrUri({ ...common, codeId: minted.codeId, token: minted.token });
          return { ...common, method: 'qr', code: token, expiresAt: minted.expiresAt.toISOString(), uri, supersededPrevious: false };
        }
        const minted = await deps.minter.mintPin({ ttlMs });
        return { ...common, method: 'pin', code: minted.pin, expiresAt: minted.expiresAt.toISOString(), uri: '', supersededPrevious: minted.supersededPrevious };
      },
    ),

    ListPending: unary(async (_request, call) => {
      const actor = actorOf(call);
      // A request of a registered node outside the token's selector is about that node: not shown (Decide refuses it).
      return { requests: (await registry.pendingRequests()).filter((r) => visibility.request(actor, r.deviceId)).map((r) => toPendingRequest(r, registry)) };
    }),

    Decide: unary(async (request, call) => {
      // Computed before deciding: once approved, the node holds the new key and the request
      // would no longer look like an identity change.
      const before = registry.findRequest(request.id);
      // A request for a registered node (a re-pair, or an identity change that replaces its key)
      // is a decision about that node: a token limited by a node selector decides only its own.
      const actor = actorOf(call);
      if (actor.kind === 'token' && before !== undefined && registry.getNode(before.deviceId) !== undefined && !visibility.node(actor, before.deviceId)) {
        const error = new PalyraError('PALYRA_E_FORBIDDEN', `token ${actor.tokenId} (${actor.tokenName}) may not decide request ${before.requestId}: it is for node ${before.deviceId}, outside its node selector "${actor.nodes}"`, {
          details: { permission: 'requests.decide', node: before.deviceId },
        });
        auditDenied(deps.audit, deps.logger, actor, 'Decide', error);
        throw error;
      }
      const change = before === undefined ? undefined : registry.identityChangeOf(before);
      // PairingDecisions records the decision (and the certificate issued) before returning.
      const by = { actor: auditActorOf(actor), remoteAddress: actor.remoteAddress };
      const decided = request.approve
        ? await deps.decisions.approve(request.id, { replaceIdentity: request.replaceIdentity, by })
        : await deps.decisions.reject(request.id, { by });
      return toPendingRequest(decided, { identityChangeOf: () => change });
    }),

    ListNodes: unary(async (request, call) => {
      const actor = actorOf(call);
      const page = pageOfNodes(
        registry.listNodes(),
        { selector: request.selector, pageSize: request.pageSize, pageToken: request.pageToken },
        { ...(seesEveryNode(actor) ? {} : { visible: (node: NodeRecord) => nodeVisible(actor, node) }), online: (deviceId) => sessions.isOnline(deviceId) },
      );
      return { nodes: page.nodes.map(toNodeInfo), nextPageToken: page.nextPageToken };
    }),

    RemoveNode: auditedUnary({ audit, logger, action: 'node.remove', facts: (request, removed) => ({ node: removed?.deviceId ?? request.deviceId, ...(removed === undefined ? {} : { details: { name: removed.name ?? '' } }) }) }, async (named, call) => {
      // A token limited by a node selector acts only on its nodes: another node does not exist for it.
      const request = { ...named, deviceId: deviceIdOf(actorOf(call), named.deviceId) };
      const forget = (deviceId: string): void => {
        sessions.closeDevice(deviceId, new PalyraError('PALYRA_E_PERMISSION_DENIED', 'this node was removed and its certificate revoked'));
        deps.capabilities.forget(deviceId);
        deps.health?.forget(deviceId);
      };
      let removed;
      try {
        removed = await registry.removeNode(request.deviceId, 'removed by operator');
      } catch (error) {
        // A removal the store could not record is enforced all the same (see removeNode):
        // the node goes here too, and the operator gets the error.
        if (error instanceof PalyraError && error.code === 'PALYRA_E_STATE_IO' && registry.getNode(request.deviceId) === undefined) forget(request.deviceId);
        throw error;
      }
      forget(removed.deviceId);
      return { ...toNodeInfo(removed), status: 'offline' };
    }),

    RenewNodes: auditedUnary(
      {
        audit,
        logger,
        action: 'node.renew.request',
        facts: (request, response) => ({
          ...(request.deviceId === '' ? {} : { node: request.deviceId }),
          details: { all: request.all, ...(response === undefined ? {} : { asked: response.asked?.length ?? 0, offline: response.offline?.length ?? 0 }) },
        }),
      },
      async (request, call) => {
        const actor = actorOf(call);
        const resolved = request.deviceId === '' ? request : { ...request, deviceId: deviceIdOf(actor, request.deviceId) };
        return renewNodes(resolved, deps, seesEveryNode(actor) ? undefined : (node) => nodeVisible(actor, node));
      },
    ),

    Invoke: createInvokeHandler(deps.dispatcher, invokeAccess, audit),

    InvokeMany: createInvokeManyHandler(deps.dispatcher, invokeAccess, audit),

    CancelDispatch: auditedUnary({ audit, logger, action: 'dispatch.cancel', facts: (request, response) => ({ details: { dispatchId: request.dispatchId, ...(response === undefined ? {} : { cancelled: response.cancelled }) } }) }, async (request, call) => {
      const actor = actorOf(call);
      await visibility.assertDispatch(actor, request.dispatchId);
      // Cancelling acts on the dispatch's capability: a token's scopes bound it as they bound
      // Invoke. (The refusal is recorded by auditedUnary, outcome refused.)
      if (actor.kind === 'token' && actor.scopes.length > 0) {
        const { capability, deviceId } = await deps.dispatcher.describe(request.dispatchId);
        if (!scopesAllow(actor.scopes, capability)) {
          throw new PalyraError('PALYRA_E_FORBIDDEN', `token ${actor.tokenId} (${actor.tokenName}) may not cancel a dispatch of ${capability}: its scopes are ${actor.scopes.join(', ')}`, {
            details: { permission: 'dispatch.cancel', capability, node: deviceId },
          });
        }
      }
      // One the daemon no longer holds in memory is finished (the journal knows it): not cancelled.
      if (deps.dispatcher.get(request.dispatchId) === undefined) {
        await deps.dispatcher.describe(request.dispatchId);
        return { cancelled: false };
      }
      return { cancelled: deps.dispatcher.cancel(request.dispatchId) };
    }),

    ListDispatches: unary(async (request, call) => {
      const actor = actorOf(call);
      // Filtered after the page is read: a narrowed token may get fewer than --limit.
      const dispatches = await deps.dispatcher.list({
        ...(request.deviceId === '' ? {} : { deviceId: deviceIdOf(actor, request.deviceId) }),
        ...(request.unfinished ? { unfinished: true } : {}),
        limit: listLimit(request.limit),
      });
      return { dispatches: dispatches.filter((d) => visibility.node(actor, d.deviceId)).map(toDispatchInfo) };
    }),

    GetDispatch: unary(async (request, call) => {
      const summary = await deps.dispatcher.describe(request.dispatchId);
      if (!visibility.node(actorOf(call), summary.deviceId)) throw dispatchNotFound(request.dispatchId);
      return toDispatchInfo(summary);
    }),

    WatchDispatch: (call) => {
      visibility.assertDispatch(actorOf(call), call.request.dispatchId).then(
        () => watchDispatch(call),
        (error: unknown) => call.emit('error', toServiceError(error)),
      );
    },

    StreamEvents: createStreamEventsHandler(deps.events ?? new DaemonEvents(), deps.logger, (call) => {
      const visible = visibility.nodeFilter(actorOf(call));
      if (visible === undefined) return undefined;
      // Events about a node pass only for the token's nodes; events without a node pass.
      return (event) => !('deviceId' in event) || typeof event.deviceId !== 'string' || visible(event.deviceId);
    }),

    WatchApprovals: createWatchApprovalsHandler({
      registry,
      sessions,
      nodeInfo: toNodeInfo,
      watchers,
      ...(deps.events === undefined ? {} : { events: deps.events }),
      nodeVisibleTo: (call) => {
        const actor = actorOf(call);
        // The stream needs requests.read; its nodes (snapshot, online/offline, certificates) are
        // what ListNodes shows, so only to a caller that also holds nodes.read.
        if (!actor.permissions.has('nodes.read')) return () => false;
        return visibility.nodeFilter(actor);
      },
      requestVisibleTo: (call) => visibility.requestFilter(actorOf(call)),
    }),

    RotateCa: auditedUnary(
      { audit, logger, action: 'ca.rotate', facts: (_request, status) => ({ ...(status === undefined ? {} : { details: { signingFingerprint: status.cas?.find((ca) => ca.role === 'signing')?.fingerprint ?? '' } }) }) },
      async () => toCaStatus(await rotationOf(deps).rotate()),
    ),

    GetCaStatus: unary(async () => toCaStatus(rotationOf(deps).status())),

    FinishCaRotation: auditedUnary(
      {
        audit,
        logger,
        action: 'ca.finish',
        facts: (request, result) => ({ details: { force: request.force, ...(result === undefined ? {} : { retiredFingerprint: result.retiredFingerprint, cutOff: result.cutOff?.length ?? 0 }) } }),
      },
      async (request) => {
        const result = await rotationOf(deps).finish({ force: request.force });
        return { retiredFingerprint: result.retiredFingerprint, cutOff: result.cutOff, status: toCaStatus(result.status) };
      },
    ),

    // Issue 16 foundation: filled in by the access and audit work.
    WhoAmI: (call, callback) => {
      const actor = actorOf(call);
      callback(null, {
        kind: actor.kind,
        uid: actor.kind === 'local' ? actor.uid : 0,
        tokenId: actor.kind === 'token' ? actor.tokenId : '',
        tokenName: actor.kind === 'token' ? actor.tokenName : '',
        role: actor.role,
        permissions: [...actor.permissions],
        scopes: actor.kind === 'token' ? [...actor.scopes] : [],
        nodes: actor.kind === 'token' ? actor.nodes : '',
        expiresAt: actor.kind === 'token' ? (actor.expiresAt?.toISOString() ?? '') : '',
        remoteAddress: actor.remoteAddress,
      });
    },
    CreateToken: unary(async (request, call) => createToken(deps, actorOf(call), request)),
    ListTokens: unary(async (request) => listTokens(deps, request)),
    RevokeToken: unary(async (request, call) => revokeToken(deps, actorOf(call), request)),
    ListAudit: listAuditHandler(deps.auditLog, (call) => visibility.nodeFilter(actorOf(call))),
    VerifyAudit: verifyAuditHandler(deps.auditLog, audit),

    LabelNode: auditedUnary(
      {
        audit,
        logger,
        action: 'node.label',
        // Keys and values are validated (Kubernetes syntax) before anything is recorded.
        facts: (request, node) => ({ node: node?.deviceId ?? request.node.slice(0, 128), details: { set: labelText(request.set ?? {}), remove: (request.remove ?? []).join(',') } }),
      },
      async (request, call) => {
        const actor = actorOf(call);
        // Operator labels decide tokens' scopes: a token limited by a node selector could label
        // its node into another token's scope (env=prod) and receive that token's dispatches.
        // Only callers that see every node label.
        if (!seesEveryNode(actor) && actor.kind === 'token') {
          const error = new PalyraError('PALYRA_E_FORBIDDEN', `token ${actor.tokenId} (${actor.tokenName}) may not label nodes: it is limited by the node selector "${actor.nodes}", and labels decide other tokens' scopes`, {
            details: { permission: 'nodes.label' },
          });
          auditDenied(deps.audit, deps.logger, actor, 'LabelNode', error);
          throw error;
        }
        const deviceId = deviceIdOf(actor, request.node);
        const change = { set: validateLabels(request.set ?? {}), remove: request.remove ?? [] };
        if (change.remove.length > MAX_LABELS) throw new PalyraError('PALYRA_E_LABEL_INVALID', `at most ${MAX_LABELS} labels removed at once`, { details: { key: '' } });
        return toNodeInfo(await registry.labelNode(deviceId, change));
      },
    ),
    DescribeNode: unary(async (request, call) => {
      const actor = actorOf(call);
      const node = registry.getNode(deviceIdOf(actor, request.node));
      if (node === undefined) throw new PalyraError('PALYRA_E_NODE_NOT_FOUND', `no registered node "${request.node.slice(0, 64)}": list them with palyrad nodes list`);
      const dispatches = await deps.dispatcher.list({ deviceId: node.deviceId, limit: describeDispatches(request.dispatches) });
      const session = sessions.get(node.deviceId);
      const info = toNodeInfo(node);
      const transportDetail =
        session === undefined
          ? 'offline'
          : `${info.transport === '' ? 'grpc' : info.transport}; session from ${session.remoteAddress} since ${session.openedAt.toISOString()}`;
      return { node: info, lastDispatches: dispatches.map(toDispatchInfo), transportDetail };
    }),
  };
}

/** How many last dispatches DescribeNode shows: 0 is 10, at most 100. */
function describeDispatches(requested: number): number {
  if (requested === 0) return 10;
  if (requested > 100) throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'dispatches is at most 100');
  return requested;
}

/** `k=v,k2=v2`: label changes as an audit detail (a flat string; the entry bounds its length). */
function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** Adapts an async function to a grpc unary handler, mapping errors to PalyraError metadata. */
function unary<Req, Res>(fn: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    fn(call.request, call).then(
      (response) => callback(null, response),
      (error: unknown) => callback(toServiceError(error)),
    );
  };
}

function rotationOf(deps: AdminServiceDeps): CaRotation {
  if (deps.rotation === undefined) throw new PalyraError('PALYRA_E_INTERNAL', 'CA rotation is not available in this daemon');
  return deps.rotation;
}

function toCaStatus(status: CaStatusReport): CaStatus {
  return { ...status, cas: status.cas.map((ca) => ({ ...ca })) };
}
