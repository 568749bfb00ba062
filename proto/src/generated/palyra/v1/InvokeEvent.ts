// Original file: proto/palyra/v1/admin.proto

import type { InvokeAccepted as _palyra_v1_InvokeAccepted, InvokeAccepted__Output as _palyra_v1_InvokeAccepted__Output } from '../../palyra/v1/InvokeAccepted.js';
import type { InvokeState as _palyra_v1_InvokeState, InvokeState__Output as _palyra_v1_InvokeState__Output } from '../../palyra/v1/InvokeState.js';
import type { InvokeOutput as _palyra_v1_InvokeOutput, InvokeOutput__Output as _palyra_v1_InvokeOutput__Output } from '../../palyra/v1/InvokeOutput.js';
import type { InvokeProgress as _palyra_v1_InvokeProgress, InvokeProgress__Output as _palyra_v1_InvokeProgress__Output } from '../../palyra/v1/InvokeProgress.js';
import type { InvokeResult as _palyra_v1_InvokeResult, InvokeResult__Output as _palyra_v1_InvokeResult__Output } from '../../palyra/v1/InvokeResult.js';

export interface InvokeEvent {
  'accepted'?: (_palyra_v1_InvokeAccepted | null);
  'state'?: (_palyra_v1_InvokeState | null);
  'output'?: (_palyra_v1_InvokeOutput | null);
  'progress'?: (_palyra_v1_InvokeProgress | null);
  'result'?: (_palyra_v1_InvokeResult | null);
  'body'?: "accepted"|"state"|"output"|"progress"|"result";
}

export interface InvokeEvent__Output {
  'accepted'?: (_palyra_v1_InvokeAccepted__Output | null);
  'state'?: (_palyra_v1_InvokeState__Output | null);
  'output'?: (_palyra_v1_InvokeOutput__Output | null);
  'progress'?: (_palyra_v1_InvokeProgress__Output | null);
  'result'?: (_palyra_v1_InvokeResult__Output | null);
  'body'?: "accepted"|"state"|"output"|"progress"|"result";
}
