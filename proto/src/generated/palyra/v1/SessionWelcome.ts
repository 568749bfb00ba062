// Original file: proto/palyra/v1/node.proto


export interface SessionWelcome {
  'sessionId'?: (string);
}

export interface SessionWelcome__Output {
  'sessionId': (string);
}
