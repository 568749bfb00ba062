// Original file: proto/palyra/v1/node.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A health ping on the Session stream (nodes on gRPC; QUIC nodes use node.health_stream).
 * The daemon answers each with a HealthPong carrying the same seq; the node measures the
 * round trip and reports it in its next ping's last_rtt_ms.
 */
export interface HealthPing {
  'seq'?: (number);
  'sentAtMs'?: (number | string | Long);
  'agentVersion'?: (string);
  'uptimeSec'?: (number | string);
  'loadAvg'?: (number | string)[];
  'memoryTotalBytes'?: (number | string | Long);
  'memoryFreeBytes'?: (number | string | Long);
  'memoryRssBytes'?: (number | string | Long);
  /**
   * The round trip of this node's previous ping on this stream, in ms; 0 when none.
   */
  'lastRttMs'?: (number | string);
}

/**
 * A health ping on the Session stream (nodes on gRPC; QUIC nodes use node.health_stream).
 * The daemon answers each with a HealthPong carrying the same seq; the node measures the
 * round trip and reports it in its next ping's last_rtt_ms.
 */
export interface HealthPing__Output {
  'seq': (number);
  'sentAtMs': (string);
  'agentVersion': (string);
  'uptimeSec': (number);
  'loadAvg': (number)[];
  'memoryTotalBytes': (string);
  'memoryFreeBytes': (string);
  'memoryRssBytes': (string);
  /**
   * The round trip of this node's previous ping on this stream, in ms; 0 when none.
   */
  'lastRttMs': (number);
}
