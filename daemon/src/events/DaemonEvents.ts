import type { DaemonEvent, DaemonEventType } from '@palyra/shared/quic';

export interface EventFilter {
  /** Only these types; undefined: all. */
  types?: ReadonlySet<DaemonEventType>;
  /** Only events about this device (a node's own subscription). */
  deviceId?: string;
}

export type DaemonEventListener = (event: DaemonEvent) => void;

interface Subscriber {
  filter: EventFilter;
  listener: DaemonEventListener;
}

/**
 * The daemon's event bus: dispatch state changes, nodes going online and offline, pairing
 * requests. Publishers call publish(); subscribers (operators on the admin socket, nodes over
 * QUIC) get the events their filter lets through. A throwing listener is dropped, it never
 * breaks the publisher.
 */
export class DaemonEvents {
  private readonly subscribers = new Set<Subscriber>();

  subscribe(filter: EventFilter, listener: DaemonEventListener): () => void {
    const subscriber: Subscriber = { filter, listener };
    this.subscribers.add(subscriber);
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  publish(event: DaemonEvent): void {
    for (const subscriber of [...this.subscribers]) {
      const { types, deviceId } = subscriber.filter;
      if (types !== undefined && !types.has(event.type)) continue;
      if (deviceId !== undefined && event.deviceId !== deviceId) continue;
      try {
        subscriber.listener(event);
      } catch {
        this.subscribers.delete(subscriber);
      }
    }
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }
}
