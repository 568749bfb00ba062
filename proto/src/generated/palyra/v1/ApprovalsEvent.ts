// Original file: proto/palyra/v1/admin.proto

import type { ApprovalsSnapshot as _palyra_v1_ApprovalsSnapshot, ApprovalsSnapshot__Output as _palyra_v1_ApprovalsSnapshot__Output } from '../../palyra/v1/ApprovalsSnapshot.js';
import type { PendingRequest as _palyra_v1_PendingRequest, PendingRequest__Output as _palyra_v1_PendingRequest__Output } from '../../palyra/v1/PendingRequest.js';
import type { NodeStatusEvent as _palyra_v1_NodeStatusEvent, NodeStatusEvent__Output as _palyra_v1_NodeStatusEvent__Output } from '../../palyra/v1/NodeStatusEvent.js';
import type { DaemonEventMessage as _palyra_v1_DaemonEventMessage, DaemonEventMessage__Output as _palyra_v1_DaemonEventMessage__Output } from '../../palyra/v1/DaemonEventMessage.js';

export interface ApprovalsEvent {
  'snapshot'?: (_palyra_v1_ApprovalsSnapshot | null);
  /**
   * A request was added (state pending_approval) or decided (approved | rejected | expired).
   */
  'request'?: (_palyra_v1_PendingRequest | null);
  'node'?: (_palyra_v1_NodeStatusEvent | null);
  /**
   * when the daemon saw it (ISO-8601)
   */
  'at'?: (string);
  /**
   * cert.renewed | cert.expiring | cert.expired
   */
  'event'?: (_palyra_v1_DaemonEventMessage | null);
  'body'?: "snapshot"|"request"|"node"|"event";
}

export interface ApprovalsEvent__Output {
  'snapshot'?: (_palyra_v1_ApprovalsSnapshot__Output | null);
  /**
   * A request was added (state pending_approval) or decided (approved | rejected | expired).
   */
  'request'?: (_palyra_v1_PendingRequest__Output | null);
  'node'?: (_palyra_v1_NodeStatusEvent__Output | null);
  /**
   * when the daemon saw it (ISO-8601)
   */
  'at': (string);
  /**
   * cert.renewed | cert.expiring | cert.expired
   */
  'event'?: (_palyra_v1_DaemonEventMessage__Output | null);
  'body'?: "snapshot"|"request"|"node"|"event";
}
