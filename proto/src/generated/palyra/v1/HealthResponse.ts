// Original file: proto/palyra/v1/node.proto

import type { Long } from '@grpc/proto-loader';

export interface HealthResponse {
  'receivedAtMs'?: (number | string | Long);
  'daemonVersion'?: (string);
}

export interface HealthResponse__Output {
  'receivedAtMs': (string);
  'daemonVersion': (string);
}
