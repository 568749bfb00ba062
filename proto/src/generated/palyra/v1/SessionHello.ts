// Original file: proto/palyra/v1/node.proto


export interface SessionHello {
  'deviceId'?: (string);
  /**
   * Dispatches this node is still running, received in an earlier session (the session was
   * lost, or the daemon restarted): their results will come on this session.
   */
  'runningDispatchIds'?: (string)[];
  /**
   * Dispatches whose results wait in this node's outbox: it sends each as a DispatchResult
   * right after the welcome and forgets it once the daemon acknowledges it (ResultAck).
   * A dispatch the daemon sent that is in neither list was lost by the node: its state is
   * unknown. Both lists are bounded (agent outbox limits; the daemon caps what it reads).
   */
  'finishedDispatchIds'?: (string)[];
  /**
   * True when the node understands ResultAck and keeps what runs across sessions; a node
   * without it loses its dispatches with its session (the daemon then fails them at once).
   */
  'reconciles'?: (boolean);
}

export interface SessionHello__Output {
  'deviceId': (string);
  /**
   * Dispatches this node is still running, received in an earlier session (the session was
   * lost, or the daemon restarted): their results will come on this session.
   */
  'runningDispatchIds': (string)[];
  /**
   * Dispatches whose results wait in this node's outbox: it sends each as a DispatchResult
   * right after the welcome and forgets it once the daemon acknowledges it (ResultAck).
   * A dispatch the daemon sent that is in neither list was lost by the node: its state is
   * unknown. Both lists are bounded (agent outbox limits; the daemon caps what it reads).
   */
  'finishedDispatchIds': (string)[];
  /**
   * True when the node understands ResultAck and keeps what runs across sessions; a node
   * without it loses its dispatches with its session (the daemon then fails them at once).
   */
  'reconciles': (boolean);
}
