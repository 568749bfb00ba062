import type { Logger } from '@palyra/shared/logging';
import type { DaemonEvents } from '../events/DaemonEvents.js';
import { DISPATCH_STATUSES } from '../dispatch/types.js';

const FINAL_STATES = new Set<string>(DISPATCH_STATUSES);

/**
 * The operator's log of what happens: pairing requests and decisions, nodes going online and
 * offline, dispatches finishing, node certificates renewed, expiring or expired. Events carry ids and states only, never a PIN, token or key.
 */
export function logDaemonEvents(events: DaemonEvents, logger: Logger): () => void {
  return events.subscribe({}, (event) => {
    switch (event.type) {
      case 'pairing.request':
        logger.info(
          { requestId: event.requestId, deviceId: event.deviceId, nodeName: event.name, platform: event.platform, state: event.state },
          event.state === 'pending_approval' ? 'pairing request awaits approval' : `pairing request ${event.state}`,
        );
        return;
      case 'node.online':
      case 'node.offline':
        logger.info({ deviceId: event.deviceId, nodeName: event.name }, event.type === 'node.online' ? 'node online' : 'node offline');
        return;
      case 'dispatch.state':
        if (!FINAL_STATES.has(event.state)) {
          logger.trace({ dispatchId: event.dispatchId, deviceId: event.deviceId, capability: event.capability, state: event.state }, 'dispatch state');
        } else {
          const level = event.state === 'succeeded' ? 'debug' : 'info';
          logger[level](
            { dispatchId: event.dispatchId, deviceId: event.deviceId, capability: event.capability, status: event.state, errorCode: event.error?.code },
            'dispatch finished',
          );
        }
        return;
      case 'cert.renewed':
        logger.info({ deviceId: event.deviceId, nodeName: event.name, certFingerprint: event.certFingerprint, certExpiresAt: event.certExpiresAt, previousCertFingerprint: event.previousCertFingerprint }, 'node certificate renewed');
        return;
      case 'cert.expiring':
      case 'cert.expired':
        logger.warn(
          { deviceId: event.deviceId, nodeName: event.name, certFingerprint: event.certFingerprint, certExpiresAt: event.certExpiresAt, certState: event.state, graceEndsAt: event.graceEndsAt },
          certificateLine(event.state),
        );
        return;
    }
  });
}

function certificateLine(state: 'expiring' | 'in_grace' | 'expired'): string {
  switch (state) {
    case 'expiring':
      return 'node certificate expiring: under a sixth of its lifetime left and not renewed';
    case 'in_grace':
      return 'node certificate expired: the node can still renew within the renewal grace';
    case 'expired':
      return 'node certificate expired past the renewal grace: the node must pair again';
  }
}
