/**
 * The in-process event bus: features announce what happened here and other features react,
 * without importing each other (no module cycles). Later the websocket gateway forwards
 * these to nurse stations.
 */
import { Injectable } from '@nestjs/common';
import { filter, map, Subject, type Observable } from 'rxjs';

export interface DomainEventMap {
  'device.online': { deviceId: string; kind: string; clientId: string; at: string };
  'device.offline': { deviceId: string; kind: string; graceful: boolean; at: string };
  'device.registered': { deviceId: string; kind: string };
  /** a device's live sessions must end now (revoked, or its credentials rotated) */
  'device.sessions_invalidated': { deviceId: string; reason: 'revoked' | 'credentials_rotated' };
}

export type DomainEvent = { [K in keyof DomainEventMap]: { type: K; payload: DomainEventMap[K] } }[keyof DomainEventMap];

@Injectable()
export class EventBus {
  private readonly subject = new Subject<DomainEvent>();

  emit<K extends keyof DomainEventMap>(type: K, payload: DomainEventMap[K]): void {
    this.subject.next({ type, payload } as DomainEvent);
  }

  on<K extends keyof DomainEventMap>(type: K): Observable<DomainEventMap[K]> {
    return this.subject.pipe(
      filter((e): e is Extract<DomainEvent, { type: K }> => e.type === type),
      map((e) => e.payload as DomainEventMap[K]),
    );
  }

  all(): Observable<DomainEvent> {
    return this.subject.asObservable();
  }
}
