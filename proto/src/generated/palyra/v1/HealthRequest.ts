// Original file: proto/palyra/v1/node.proto

import type { Long } from '@grpc/proto-loader';

export interface HealthRequest {
  'deviceId'?: (string);
  'sentAtMs'?: (number | string | Long);
  'agentVersion'?: (string);
  'uptimeSec'?: (number | string);
  'loadAvg'?: (number | string)[];
  'memoryTotalBytes'?: (number | string | Long);
  'memoryFreeBytes'?: (number | string | Long);
  'memoryRssBytes'?: (number | string | Long);
  /**
   * The round trip of this node's previous gRPC health ping, in ms; 0 when none.
   */
  'lastRttMs'?: (number | string);
}

export interface HealthRequest__Output {
  'deviceId': (string);
  'sentAtMs': (string);
  'agentVersion': (string);
  'uptimeSec': (number);
  'loadAvg': (number)[];
  'memoryTotalBytes': (string);
  'memoryFreeBytes': (string);
  'memoryRssBytes': (string);
  /**
   * The round trip of this node's previous gRPC health ping, in ms; 0 when none.
   */
  'lastRttMs': (number);
}
