// Original file: proto/palyra/v1/common.proto


export interface Capability {
  /**
   * e.g. "fs.read"
   */
  'id'?: (string);
  /**
   * read | mutate | exec | net
   */
  'kind'?: (string);
  'description'?: (string);
  'inputSchemaJson'?: (string);
  'outputSchemaJson'?: (string);
  'plugin'?: (string);
}

export interface Capability__Output {
  /**
   * e.g. "fs.read"
   */
  'id': (string);
  /**
   * read | mutate | exec | net
   */
  'kind': (string);
  'description': (string);
  'inputSchemaJson': (string);
  'outputSchemaJson': (string);
  'plugin': (string);
}
