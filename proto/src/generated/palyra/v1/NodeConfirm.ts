// Original file: proto/palyra/v1/pairing.proto


export interface NodeConfirm {
  /**
   * ULID
   */
  'deviceId'?: (string);
  'name'?: (string);
  'platform'?: (string);
  'hostname'?: (string);
  'agentVersion'?: (string);
  'capabilities'?: (string)[];
  'ed25519PublicKey'?: (Buffer | Uint8Array | string);
  'x25519PublicKey'?: (Buffer | Uint8Array | string);
  'csrDer'?: (Buffer | Uint8Array | string);
  /**
   * HMAC over the transcript with the node's confirmation key
   */
  'mac'?: (Buffer | Uint8Array | string);
  /**
   * Ed25519 over the transcript hash
   */
  'signature'?: (Buffer | Uint8Array | string);
}

export interface NodeConfirm__Output {
  /**
   * ULID
   */
  'deviceId': (string);
  'name': (string);
  'platform': (string);
  'hostname': (string);
  'agentVersion': (string);
  'capabilities': (string)[];
  'ed25519PublicKey': (Buffer);
  'x25519PublicKey': (Buffer);
  'csrDer': (Buffer);
  /**
   * HMAC over the transcript with the node's confirmation key
   */
  'mac': (Buffer);
  /**
   * Ed25519 over the transcript hash
   */
  'signature': (Buffer);
}
