// Original file: proto/palyra/v1/node.proto

import type { SessionWelcome as _palyra_v1_SessionWelcome, SessionWelcome__Output as _palyra_v1_SessionWelcome__Output } from '../../palyra/v1/SessionWelcome.js';
import type { Dispatch as _palyra_v1_Dispatch, Dispatch__Output as _palyra_v1_Dispatch__Output } from '../../palyra/v1/Dispatch.js';
import type { CancelDispatch as _palyra_v1_CancelDispatch, CancelDispatch__Output as _palyra_v1_CancelDispatch__Output } from '../../palyra/v1/CancelDispatch.js';
import type { HealthPong as _palyra_v1_HealthPong, HealthPong__Output as _palyra_v1_HealthPong__Output } from '../../palyra/v1/HealthPong.js';
import type { ResultAck as _palyra_v1_ResultAck, ResultAck__Output as _palyra_v1_ResultAck__Output } from '../../palyra/v1/ResultAck.js';
import type { RenewNow as _palyra_v1_RenewNow, RenewNow__Output as _palyra_v1_RenewNow__Output } from '../../palyra/v1/RenewNow.js';
import type { TrustBundle as _palyra_v1_TrustBundle, TrustBundle__Output as _palyra_v1_TrustBundle__Output } from '../../palyra/v1/TrustBundle.js';

export interface DaemonMessage {
  'welcome'?: (_palyra_v1_SessionWelcome | null);
  'dispatch'?: (_palyra_v1_Dispatch | null);
  'cancel'?: (_palyra_v1_CancelDispatch | null);
  'health'?: (_palyra_v1_HealthPong | null);
  'resultAck'?: (_palyra_v1_ResultAck | null);
  'renew'?: (_palyra_v1_RenewNow | null);
  'trustBundle'?: (_palyra_v1_TrustBundle | null);
  'body'?: "welcome"|"dispatch"|"cancel"|"health"|"resultAck"|"renew"|"trustBundle";
}

export interface DaemonMessage__Output {
  'welcome'?: (_palyra_v1_SessionWelcome__Output | null);
  'dispatch'?: (_palyra_v1_Dispatch__Output | null);
  'cancel'?: (_palyra_v1_CancelDispatch__Output | null);
  'health'?: (_palyra_v1_HealthPong__Output | null);
  'resultAck'?: (_palyra_v1_ResultAck__Output | null);
  'renew'?: (_palyra_v1_RenewNow__Output | null);
  'trustBundle'?: (_palyra_v1_TrustBundle__Output | null);
  'body'?: "welcome"|"dispatch"|"cancel"|"health"|"resultAck"|"renew"|"trustBundle";
}
