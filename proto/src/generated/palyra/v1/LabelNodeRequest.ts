// Original file: proto/palyra/v1/admin.proto


export interface LabelNodeRequest {
  /**
   * a device id, a unique prefix of one, or a node name
   */
  'node'?: (string);
  /**
   * labels to set (key=value)
   */
  'set'?: ({[key: string]: string});
  /**
   * operator labels to remove (key-)
   */
  'remove'?: (string)[];
}

export interface LabelNodeRequest__Output {
  /**
   * a device id, a unique prefix of one, or a node name
   */
  'node': (string);
  /**
   * labels to set (key=value)
   */
  'set': ({[key: string]: string});
  /**
   * operator labels to remove (key-)
   */
  'remove': (string)[];
}
