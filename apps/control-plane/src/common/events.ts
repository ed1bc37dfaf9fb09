/**
 * The in-process event bus: the one channel on which features announce committed state
 * changes (the typed map is libs/contracts/src/events) and other features react, without
 * importing each other. The live gateway forwards them to nurse stations by the routing
 * table in live/live.routes.ts.
 */
import { Injectable } from '@nestjs/common';
import { filter, map, Subject, type Observable } from 'rxjs';
import { outsideIdempotencyScope } from './idempotency.js';

import type { DomainEvent, DomainEventMap, DomainEventType } from '#contracts';

export type { DomainEvent, DomainEventMap, DomainEventType } from '#contracts';

@Injectable()
export class EventBus {
  private readonly subject = new Subject<DomainEvent>();
  /** listeners per event type (`on`), for the check that every internal event is heard */
  private readonly listeners = new Map<DomainEventType, number>();

  emit<K extends keyof DomainEventMap>(type: K, payload: DomainEventMap[K]): void {
    // a reaction is not part of the request that set it off: it must not take its Idempotency-Key
    outsideIdempotencyScope(() => this.subject.next({ type, payload } as DomainEvent));
  }

  on<K extends keyof DomainEventMap>(type: K): Observable<DomainEventMap[K]> {
    this.listeners.set(type, (this.listeners.get(type) ?? 0) + 1);
    return this.subject.pipe(
      filter((e): e is Extract<DomainEvent, { type: K }> => e.type === type),
      map((e) => e.payload as DomainEventMap[K]),
    );
  }

  /** How many features asked to hear `type` (each `on(type)` call counts once). */
  listenerCount(type: DomainEventType): number {
    return this.listeners.get(type) ?? 0;
  }

  all(): Observable<DomainEvent> {
    return this.subject.asObservable();
  }
}
