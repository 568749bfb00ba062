import type { DaemonMessage } from '@palyra/proto';
import type { Dispatch } from './Dispatch.js';

export interface QueueLimits {
  /** Dispatches waiting to be sent. Beyond it, new dispatches are rejected. */
  maxQueued: number;
  /** Dispatches sent and not yet finished. */
  maxInFlight: number;
}

/**
 * One node's dispatches: a bounded FIFO of queued ones and the set in flight. The queue
 * drains into the node's session as in-flight slots free up, so a slow node holds back its
 * own work, not the daemon's memory.
 */
export class NodeDispatchQueue {
  private readonly queued: Dispatch[] = [];
  private readonly inFlight = new Map<string, Dispatch>();
  private readonly held = new Set<Dispatch>();
  private send: ((message: DaemonMessage) => void) | undefined;

  constructor(private readonly limits: QueueLimits) {}

  get size(): number {
    return this.queued.length + this.inFlight.size;
  }

  get full(): boolean {
    return this.queued.length >= this.limits.maxQueued;
  }

  /** The node's session opened: dispatches can flow. */
  attach(send: (message: DaemonMessage) => void): void {
    this.send = send;
    this.pump();
  }

  /** The node's session closed: returns every dispatch it held so they can be failed. */
  detach(): Dispatch[] {
    this.send = undefined;
    const orphaned = [...this.inFlight.values(), ...this.queued];
    this.inFlight.clear();
    this.queued.length = 0;
    this.held.clear();
    return orphaned;
  }

  /**
   * Takes its place in the queue now. A `held` dispatch (its input is being checked) keeps
   * that place, and holds back those behind it, until admit(): dispatches reach the node in
   * the order they were submitted.
   */
  enqueue(dispatch: Dispatch, { held = false }: { held?: boolean } = {}): void {
    if (held) this.held.add(dispatch);
    this.queued.push(dispatch);
    this.pump();
  }

  /** A held dispatch may go. */
  admit(dispatch: Dispatch): void {
    if (this.held.delete(dispatch)) this.pump();
  }

  /**
   * A dispatch sent down this node's session and not finished yet. Queued ones are not
   * found: the node has not been sent them, so a report on one (which would skip `sent`
   * and free no slot) cannot be genuine.
   */
  findInFlight(dispatchId: string): Dispatch | undefined {
    return this.inFlight.get(dispatchId);
  }

  /** Removes a finished dispatch and lets the next one go. */
  release(dispatch: Dispatch): void {
    if (!this.inFlight.delete(dispatch.id)) {
      const index = this.queued.indexOf(dispatch);
      if (index >= 0) this.queued.splice(index, 1);
      this.held.delete(dispatch);
    }
    this.pump();
  }

  /** Tells the node to stop a dispatch it was sent. */
  cancelOnNode(dispatch: Dispatch, reason: string): void {
    if (this.inFlight.has(dispatch.id)) this.send?.({ cancel: { dispatchId: dispatch.id, reason } });
  }

  private pump(): void {
    while (this.send !== undefined && this.inFlight.size < this.limits.maxInFlight) {
      const next = this.queued[0];
      if (next === undefined) return;
      if (!next.finished && this.held.has(next)) return;
      this.queued.shift();
      if (next.finished) {
        this.held.delete(next);
        continue;
      }
      this.inFlight.set(next.id, next);
      this.send({
        dispatch: {
          dispatchId: next.id,
          capability: next.capability,
          inputJson: next.inputJson,
          deadlineUnixMs: String(next.deadline.getTime()),
          idempotencyKey: next.idempotencyKey ?? '',
          // What is left, not when: the node's clock may be off (it counts from receipt).
          timeoutMs: String(Math.max(1, next.deadline.getTime() - Date.now())),
        },
      });
      next.advance('sent');
    }
  }
}
