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
  /** Taken from the queue, their `sent` being journaled: they hold an in-flight slot, not yet sent. */
  private readonly sending = new Set<Dispatch>();
  private send: ((message: DaemonMessage) => void) | undefined;

  /**
   * @param beforeSend called as a dispatch leaves the queue; when it returns a promise, the
   *   dispatch goes down the stream only once it resolves (the journal's `sent`, written
   *   ahead), and fails with its error when it rejects.
   */
  constructor(
    private readonly limits: QueueLimits,
    private readonly beforeSend?: (dispatch: Dispatch) => Promise<void> | undefined,
    private readonly onSendFailed?: (dispatch: Dispatch, error: unknown) => void,
  ) {}

  get size(): number {
    return this.queued.length + this.inFlight.size + this.sending.size;
  }

  /** Waiting (not sent yet) and sent-not-finished, for the metrics. */
  get depth(): { waiting: number; inFlight: number } {
    return { waiting: this.queued.length, inFlight: this.inFlight.size + this.sending.size };
  }

  /** The node's session's send, while one is attached (for ResultAck). */
  get sender(): ((message: DaemonMessage) => void) | undefined {
    return this.send;
  }

  get full(): boolean {
    return this.queued.length >= this.limits.maxQueued;
  }

  /** The node's session opened: dispatches can flow. */
  attach(send: (message: DaemonMessage) => void): void {
    this.send = send;
    this.pump();
  }

  /**
   * The node's session closed: returns the dispatches it was sent (`sent`) and those it never
   * was (`unsent`: queued, or whose `sent` was still being journaled).
   */
  detach(): { sent: Dispatch[]; unsent: Dispatch[] } {
    this.send = undefined;
    const sent = [...this.inFlight.values()];
    const unsent = [...this.sending, ...this.queued];
    this.inFlight.clear();
    this.sending.clear();
    this.queued.length = 0;
    this.held.clear();
    return { sent, unsent };
  }

  /** A dispatch sent in an earlier session that the node reports still running: its reports are accepted again. */
  adopt(dispatch: Dispatch): void {
    this.inFlight.set(dispatch.id, dispatch);
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
    if (this.sending.delete(dispatch)) {
      // Its journal write is still under way; it will not be sent (see pump).
    } else if (!this.inFlight.delete(dispatch.id)) {
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
    while (this.send !== undefined && this.inFlight.size + this.sending.size < this.limits.maxInFlight) {
      const next = this.queued[0];
      if (next === undefined) return;
      if (!next.finished && this.held.has(next)) return;
      this.queued.shift();
      if (next.finished) {
        this.held.delete(next);
        continue;
      }
      const journaled = this.beforeSend?.(next);
      if (journaled === undefined) {
        this.transmit(next);
        continue;
      }
      // Batches commit in order, so dispatches still reach the node in the order submitted.
      this.sending.add(next);
      journaled.then(
        () => {
          if (!this.sending.delete(next)) return;
          if (next.finished || this.send === undefined) {
            this.pump();
            return;
          }
          this.transmit(next);
        },
        (error: unknown) => {
          if (!this.sending.delete(next)) return;
          this.onSendFailed?.(next, error);
          this.pump();
        },
      );
    }
  }

  private transmit(next: Dispatch): void {
    const send = this.send;
    if (send === undefined) return;
    this.inFlight.set(next.id, next);
    send({
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
