// Original file: proto/palyra/v1/admin.proto


export interface StreamEventsRequest {
  /**
   * dispatch.state | node.online | node.offline | pairing.request | cert.renewed | cert.expiring | cert.expired; empty: all
   */
  'types'?: (string)[];
}

export interface StreamEventsRequest__Output {
  /**
   * dispatch.state | node.online | node.offline | pairing.request | cert.renewed | cert.expiring | cert.expired; empty: all
   */
  'types': (string)[];
}
