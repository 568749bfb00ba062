// Original file: proto/palyra/v1/node.proto

import type { SessionHello as _palyra_v1_SessionHello, SessionHello__Output as _palyra_v1_SessionHello__Output } from '../../palyra/v1/SessionHello.js';
import type { DispatchOutput as _palyra_v1_DispatchOutput, DispatchOutput__Output as _palyra_v1_DispatchOutput__Output } from '../../palyra/v1/DispatchOutput.js';
import type { DispatchResult as _palyra_v1_DispatchResult, DispatchResult__Output as _palyra_v1_DispatchResult__Output } from '../../palyra/v1/DispatchResult.js';
import type { DispatchStarted as _palyra_v1_DispatchStarted, DispatchStarted__Output as _palyra_v1_DispatchStarted__Output } from '../../palyra/v1/DispatchStarted.js';
import type { HealthPing as _palyra_v1_HealthPing, HealthPing__Output as _palyra_v1_HealthPing__Output } from '../../palyra/v1/HealthPing.js';
import type { TrustAck as _palyra_v1_TrustAck, TrustAck__Output as _palyra_v1_TrustAck__Output } from '../../palyra/v1/TrustAck.js';

export interface NodeMessage {
  'hello'?: (_palyra_v1_SessionHello | null);
  'output'?: (_palyra_v1_DispatchOutput | null);
  'result'?: (_palyra_v1_DispatchResult | null);
  'started'?: (_palyra_v1_DispatchStarted | null);
  'health'?: (_palyra_v1_HealthPing | null);
  'trustAck'?: (_palyra_v1_TrustAck | null);
  'body'?: "hello"|"output"|"result"|"started"|"health"|"trustAck";
}

export interface NodeMessage__Output {
  'hello'?: (_palyra_v1_SessionHello__Output | null);
  'output'?: (_palyra_v1_DispatchOutput__Output | null);
  'result'?: (_palyra_v1_DispatchResult__Output | null);
  'started'?: (_palyra_v1_DispatchStarted__Output | null);
  'health'?: (_palyra_v1_HealthPing__Output | null);
  'trustAck'?: (_palyra_v1_TrustAck__Output | null);
  'body'?: "hello"|"output"|"result"|"started"|"health"|"trustAck";
}
