// Original file: proto/palyra/v1/node.proto

import type { Long } from '@grpc/proto-loader';

export interface Dispatch {
  'dispatchId'?: (string);
  'capability'?: (string);
  'inputJson'?: (string);
  'deadlineUnixMs'?: (number | string | Long);
  'idempotencyKey'?: (string);
}

export interface Dispatch__Output {
  'dispatchId': (string);
  'capability': (string);
  'inputJson': (string);
  'deadlineUnixMs': (string);
  'idempotencyKey': (string);
}
