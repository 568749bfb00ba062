// Original file: proto/palyra/v1/node.proto

import type { RenewChallenge as _palyra_v1_RenewChallenge, RenewChallenge__Output as _palyra_v1_RenewChallenge__Output } from '../../palyra/v1/RenewChallenge.js';
import type { RenewIssued as _palyra_v1_RenewIssued, RenewIssued__Output as _palyra_v1_RenewIssued__Output } from '../../palyra/v1/RenewIssued.js';

export interface RenewServerMessage {
  'challenge'?: (_palyra_v1_RenewChallenge | null);
  'issued'?: (_palyra_v1_RenewIssued | null);
  'body'?: "challenge"|"issued";
}

export interface RenewServerMessage__Output {
  'challenge'?: (_palyra_v1_RenewChallenge__Output | null);
  'issued'?: (_palyra_v1_RenewIssued__Output | null);
  'body'?: "challenge"|"issued";
}
