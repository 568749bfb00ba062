// Original file: proto/palyra/v1/admin.proto


export interface DaemonEventMessage {
  'type'?: (string);
  /**
   * the whole event as JSON (DaemonEvent in shared/src/quic/protocol.ts)
   */
  'eventJson'?: (string);
}

export interface DaemonEventMessage__Output {
  'type': (string);
  /**
   * the whole event as JSON (DaemonEvent in shared/src/quic/protocol.ts)
   */
  'eventJson': (string);
}
