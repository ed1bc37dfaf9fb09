/**
 * Data access for closed-loop custody. Writes happen inside `transaction`, through a
 * CustodyTx that can save state rows and append custody events but has no way to update or
 * delete an event: the log is append-only by construction.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import { ConflictError, GENESIS_HASH, type ReplayEvent, type StateRow, type StateTable } from '#domain';
import {
  AdministrationSlotEntity,
  CustodyChainHeadEntity,
  CustodyEventEntity,
  DeliveryEntity,
  DoseEntity,
  MedicationEntity,
  MedicationOrderEntity,
  PatientEntity,
} from '../entities/custody.entities.js';
import { IdempotencyKeyEntity } from '../entities/store.entities.js';

import { runTransaction, runWrite } from '../transactions.js';

const HEAD_ID = 'custody';

/** Where each state table keeps its state (an order's is its `status`). */
const STATE_COLUMN = {
  doses: { entity: DoseEntity, column: 'state' },
  deliveries: { entity: DeliveryEntity, column: 'state' },
  medication_orders: { entity: MedicationOrderEntity, column: 'status' },
} as const satisfies Record<StateTable, { entity: unknown; column: string }>;

/** Only what state replay reads of events: no evidence or actor JSON to parse, a million times over. */
function stateEventsAfter(em: EntityManager, seq: number, limit: number): Promise<ReplayEvent[]> {
  return em
    .createQueryBuilder(CustodyEventEntity, 'e')
    .select(['e.seq', 'e.doseId', 'e.deliveryId', 'e.orderId', 'e.toState'])
    .where('e.seq > :seq', { seq })
    .orderBy('e.seq', 'ASC')
    .limit(limit)
    .getMany();
}

/** The id and state of a state table's rows, by the given ids or after `afterId` in id order. */
async function stateRows(em: EntityManager, table: StateTable, page: { ids: string[] } | { afterId: string; limit: number }): Promise<StateRow[]> {
  const { entity, column } = STATE_COLUMN[table];
  const qb = em.createQueryBuilder(entity, 'r').select(['r.id', `r.${column}`]);
  if ('ids' in page) qb.where('r.id IN (:...ids)', { ids: page.ids });
  else qb.where('r.id > :after', { after: page.afterId }).orderBy('r.id', 'ASC').limit(page.limit);
  const rows = (await qb.getMany()) as unknown as Record<string, string>[];
  return rows.map((r) => ({ id: r['id']!, state: r[column]! }));
}

/** Filters of the audit query (every one optional; all given must match). */
export interface CustodyEventQuery {
  actions?: string[];
  outcome?: 'refused' | 'accepted';
  refusalActions: readonly string[];
  actorId?: string;
  ward?: string;
  doseId?: string;
  orderId?: string;
  deliveryId?: string;
  from?: Date;
  to?: Date;
  beforeSeq?: number;
  limit: number;
}

export class CustodyTx {
  constructor(readonly em: EntityManager) {}

  dose(id: string): Promise<DoseEntity | null> {
    return this.em.findOneBy(DoseEntity, { id });
  }
  dosesOfDelivery(deliveryId: string): Promise<DoseEntity[]> {
    return this.em.find(DoseEntity, { where: { deliveryId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }
  dosesOfOrder(orderId: string): Promise<DoseEntity[]> {
    return this.em.find(DoseEntity, { where: { orderId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }
  delivery(id: string): Promise<DeliveryEntity | null> {
    return this.em.findOneBy(DeliveryEntity, { id });
  }
  /** One robot's deliveries in the given states: whose compartments it still holds. */
  deliveriesOfRobot(robotId: string, states: readonly string[]): Promise<DeliveryEntity[]> {
    return this.em.find(DeliveryEntity, { where: { robotId, state: In([...states]) as never } });
  }
  order(id: string): Promise<MedicationOrderEntity | null> {
    return this.em.findOneBy(MedicationOrderEntity, { id });
  }
  patient(id: string): Promise<PatientEntity | null> {
    return this.em.findOneBy(PatientEntity, { id });
  }
  slot(id: string): Promise<AdministrationSlotEntity | null> {
    return this.em.findOneBy(AdministrationSlotEntity, { id });
  }
  slotsOfOrder(orderId: string): Promise<AdministrationSlotEntity[]> {
    return this.em.find(AdministrationSlotEntity, { where: { orderId }, order: { scheduledAt: 'ASC' } });
  }
  async save<T extends DoseEntity | DeliveryEntity | MedicationOrderEntity | AdministrationSlotEntity | PatientEntity | MedicationEntity>(
    entity: T,
  ): Promise<T> {
    return this.em.save(entity);
  }
  /**
   * The chain head as committed, read inside this transaction — on PostgreSQL locked
   * (`FOR UPDATE`) until it commits, so two writers (two processes, or a retry racing a reply
   * that was lost) can never chain onto the same head. Never a copy kept in memory: a commit
   * whose reply was lost would leave that copy behind the database for good.
   */
  async lockedHead(): Promise<{ seq: number; hash: string } | null> {
    const qb = this.em.createQueryBuilder(CustodyChainHeadEntity, 'h').where('h.id = :id', { id: HEAD_ID });
    const pg = this.em.connection.options.type === 'postgres';
    if (pg) {
      // a writer that never finishes (a half-open connection idle in its transaction) must not
      // hang every custody write: past this, 55P03 → 503 storage_unavailable
      await this.em.query(`SET LOCAL lock_timeout = '15s'`);
      qb.setLock('pessimistic_write');
    }
    const h = await qb.getOne();
    if (h) return { seq: h.seq, hash: h.hash };
    if (!pg) return null;
    // no head yet: create the genesis row (a concurrent first writer's wins) so there is a row to lock
    await this.em.createQueryBuilder().insert().into(CustodyChainHeadEntity).values({ id: HEAD_ID, seq: 0, hash: GENESIS_HASH }).orIgnore().execute();
    return this.lockedHead();
  }
  /** Stores the request's Idempotency-Key in this transaction: it exists if and only if the write committed. */
  async insertIdempotencyKey(row: IdempotencyKeyEntity): Promise<void> {
    try {
      await this.em.insert(IdempotencyKeyEntity, row);
    } catch (err) {
      // another request with the same key (on another process) got there first: this one must not commit
      const code = String((err as { code?: unknown; driverError?: { code?: unknown } }).driverError?.code ?? (err as { code?: unknown }).code ?? '');
      if (code === '23505' || code.startsWith('SQLITE_CONSTRAINT'))
        throw new ConflictError('a request with this Idempotency-Key is still being processed', 'idempotency_request_in_progress');
      throw err;
    }
  }
  /** State replay's events after `seq`, in this transaction. */
  stateEventsAfter(seq: number, limit: number): Promise<ReplayEvent[]> {
    return stateEventsAfter(this.em, seq, limit);
  }
  /** The id and state of these rows of a state table (at most a few hundred ids at a time). */
  stateRowsByIds(table: StateTable, ids: string[]): Promise<StateRow[]> {
    return ids.length ? stateRows(this.em, table, { ids }) : Promise.resolve([]);
  }
  async appendEvents(events: CustodyEventEntity[], head: { seq: number; hash: string }): Promise<void> {
    if (events.length) await this.em.insert(CustodyEventEntity, events);
    await this.em.upsert(CustodyChainHeadEntity, { id: HEAD_ID, seq: head.seq, hash: head.hash }, ['id']);
  }
}

@Injectable()
export class CustodyRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  transaction<T>(work: (tx: CustodyTx) => Promise<T>): Promise<T> {
    return runTransaction(this.ds, (em) => work(new CustodyTx(em)));
  }

  /**
   * One event by id, read once no writer holds the chain head: how a commit whose reply was
   * lost is found to have happened or not. On PostgreSQL the lost transaction may still be
   * finishing (its COMMIT in flight, or waiting for a synchronous standby) and holds the head's
   * lock until then, so the read first waits for that lock (bounded: a timeout rejects, and the
   * outcome stays unknown).
   */
  eventByIdAfterWriters(id: string): Promise<CustodyEventEntity | null> {
    if (this.ds.options.type !== 'postgres') return this.ds.manager.findOneBy(CustodyEventEntity, { id });
    return this.ds.transaction(async (em) => {
      await em.query(`SET LOCAL lock_timeout = '5s'`);
      await em.createQueryBuilder(CustodyChainHeadEntity, 'h').setLock('pessimistic_read').where('h.id = :id', { id: HEAD_ID }).getOne();
      return em.findOneBy(CustodyEventEntity, { id });
    });
  }

  head(): Promise<CustodyChainHeadEntity | null> {
    return this.ds.manager.findOneBy(CustodyChainHeadEntity, { id: HEAD_ID });
  }

  /** Events in chain order, a page at a time (for verification and exports). */
  eventsAfter(seq: number, limit: number): Promise<CustodyEventEntity[]> {
    return this.ds.manager.createQueryBuilder(CustodyEventEntity, 'e').where('e.seq > :seq', { seq }).orderBy('e.seq', 'ASC').limit(limit).getMany();
  }

  /** Events in chain order, a page at a time, with only what state replay reads of them. */
  stateEventsAfter(seq: number, limit: number): Promise<ReplayEvent[]> {
    return stateEventsAfter(this.ds.manager, seq, limit);
  }

  /** A state table's rows (id and state only), a page at a time in id order after `afterId` ('' for the first). */
  stateRowsAfter(table: StateTable, afterId: string, limit: number): Promise<StateRow[]> {
    return stateRows(this.ds.manager, table, { afterId, limit });
  }

  eventsOfDose(doseId: string): Promise<CustodyEventEntity[]> {
    return this.ds.manager.find(CustodyEventEntity, { where: { doseId }, order: { seq: 'ASC' } });
  }

  /**
   * Events recorded at a location (an exact key, through the location index), or under it for
   * a prefix ending in `:` or `/` (`robot:R1:` matches every compartment of R1; `%`, `_` and `\\`
   * in it are matched literally).
   */
  eventsAtLocation(key: string): Promise<CustodyEventEntity[]> {
    const qb = this.ds.manager.createQueryBuilder(CustodyEventEntity, 'e');
    if (/[:/]$/.test(key)) qb.where("e.location LIKE :p ESCAPE '\\'", { p: `${key.replace(/[\\%_]/g, (c) => `\\${c}`)}%` });
    else qb.where('e.location = :k', { k: key });
    return qb.orderBy('e.seq', 'ASC').getMany();
  }

  /**
   * The audit query: events matching every filter given, newest first, `limit` at a time
   * below the `beforeSeq` cursor, with the number matching in all. `refusalActions` is the
   * domain's list of refusal actions, read by `outcome`.
   */
  async queryEvents(q: CustodyEventQuery): Promise<{ events: CustodyEventEntity[]; total: number }> {
    const qb = this.ds.manager.createQueryBuilder(CustodyEventEntity, 'e');
    if (q.actions?.length) qb.andWhere('e.action IN (:...actions)', { actions: q.actions });
    if (q.outcome === 'refused') qb.andWhere('e.action IN (:...refusals)', { refusals: q.refusalActions });
    if (q.outcome === 'accepted') qb.andWhere('e.action NOT IN (:...refusals)', { refusals: q.refusalActions });
    // the actor is stored as JSON text ({"type":…,"id":…}): its id is found as written there, case
    // and all (SQLite's LIKE ignores case: `alice` is not `Alice`), with no pattern characters
    if (q.actorId) {
      const find = this.ds.options.type === 'postgres' ? 'strpos(e.actor, :actor) > 0' : 'instr(e.actor, :actor) > 0';
      qb.andWhere(find, { actor: `"id":${JSON.stringify(q.actorId)}` });
    }
    if (q.ward) qb.andWhere('e.ward = :ward', { ward: q.ward });
    if (q.doseId) qb.andWhere('e.doseId = :doseId', { doseId: q.doseId });
    if (q.orderId) qb.andWhere('e.orderId = :orderId', { orderId: q.orderId });
    if (q.deliveryId) qb.andWhere('e.deliveryId = :deliveryId', { deliveryId: q.deliveryId });
    if (q.from) qb.andWhere('e.at >= :from', { from: q.from.toISOString() });
    if (q.to) qb.andWhere('e.at < :to', { to: q.to.toISOString() });
    const total = await qb.clone().getCount();
    if (q.beforeSeq !== undefined) qb.andWhere('e.seq < :before', { before: q.beforeSeq });
    const events = await qb.orderBy('e.seq', 'DESC').limit(q.limit).getMany();
    return { events, total };
  }

  eventsOfOrder(orderId: string): Promise<CustodyEventEntity[]> {
    return this.ds.manager.find(CustodyEventEntity, { where: { orderId }, order: { seq: 'ASC' } });
  }

  eventsOfDelivery(deliveryId: string): Promise<CustodyEventEntity[]> {
    return this.ds.manager.find(CustodyEventEntity, { where: { deliveryId }, order: { seq: 'ASC' } });
  }

  patient(id: string): Promise<PatientEntity | null> {
    return this.ds.manager.findOneBy(PatientEntity, { id });
  }
  patientByWristband(gsrn: string): Promise<PatientEntity | null> {
    return this.ds.manager.findOneBy(PatientEntity, { wristbandGsrn: gsrn });
  }
  patientByMrn(mrn: string): Promise<PatientEntity | null> {
    return this.ds.manager.findOneBy(PatientEntity, { mrn });
  }
  patients(ward?: string): Promise<PatientEntity[]> {
    return this.ds.manager.find(PatientEntity, { where: ward ? { ward } : {}, order: { ward: 'ASC', bed: 'ASC', name: 'ASC' } });
  }
  medication(id: string): Promise<MedicationEntity | null> {
    return this.ds.manager.findOneBy(MedicationEntity, { id });
  }
  medicationByGtin(gtin: string): Promise<MedicationEntity | null> {
    return this.ds.manager.findOneBy(MedicationEntity, { gtin });
  }
  medications(): Promise<MedicationEntity[]> {
    return this.ds.manager.find(MedicationEntity, { order: { name: 'ASC' } });
  }
  medicationsByIds(ids: string[]): Promise<MedicationEntity[]> {
    return ids.length ? this.ds.manager.find(MedicationEntity, { where: { id: In(ids) } }) : Promise.resolve([]);
  }
  order(id: string): Promise<MedicationOrderEntity | null> {
    return this.ds.manager.findOneBy(MedicationOrderEntity, { id });
  }
  orders(filter: { status?: string | undefined; patientId?: string | undefined }): Promise<MedicationOrderEntity[]> {
    return this.ds.manager.find(MedicationOrderEntity, {
      where: {
        ...(filter.status ? { status: filter.status as MedicationOrderEntity['status'] } : {}),
        ...(filter.patientId ? { patientId: filter.patientId } : {}),
      },
      order: { createdAt: 'DESC' },
      take: 500,
    });
  }
  dose(id: string): Promise<DoseEntity | null> {
    return this.ds.manager.findOneBy(DoseEntity, { id });
  }
  dosesOfDelivery(deliveryId: string): Promise<DoseEntity[]> {
    return this.ds.manager.find(DoseEntity, { where: { deliveryId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }
  /** The dispensed unit a barcode names: by GTIN + serial, or GTIN + lot among the given doses. */
  dosesByUnit(gtin: string, serial: string | undefined, lot: string | undefined): Promise<DoseEntity[]> {
    return this.ds.manager.find(DoseEntity, { where: serial ? { gtin, serial } : { gtin, ...(lot ? { lot } : {}) }, order: { createdAt: 'ASC' } });
  }
  dosesInStates(states: string[], limit = 500): Promise<DoseEntity[]> {
    return this.ds.manager.find(DoseEntity, { where: { state: In(states) as never }, order: { updatedAt: 'DESC' }, take: limit });
  }
  dosesOfPatient(patientId: string): Promise<DoseEntity[]> {
    return this.ds.manager.find(DoseEntity, { where: { patientId }, order: { createdAt: 'ASC' } });
  }
  delivery(id: string): Promise<DeliveryEntity | null> {
    return this.ds.manager.findOneBy(DeliveryEntity, { id });
  }
  deliveryOfMission(missionId: string): Promise<DeliveryEntity | null> {
    return this.ds.manager.findOneBy(DeliveryEntity, { missionId });
  }
  deliveries(filter: { ward?: string | undefined; state?: string | undefined }): Promise<DeliveryEntity[]> {
    return this.ds.manager.find(DeliveryEntity, {
      where: { ...(filter.ward ? { ward: filter.ward } : {}), ...(filter.state ? { state: filter.state as DeliveryEntity['state'] } : {}) },
      order: { createdAt: 'DESC' },
      take: 200,
    });
  }
  deliveriesInStates(states: string[]): Promise<DeliveryEntity[]> {
    return this.ds.manager.find(DeliveryEntity, { where: { state: In(states) as never } });
  }
  slot(id: string): Promise<AdministrationSlotEntity | null> {
    return this.ds.manager.findOneBy(AdministrationSlotEntity, { id });
  }
  slotsOfPatient(patientId: string): Promise<AdministrationSlotEntity[]> {
    return this.ds.manager.find(AdministrationSlotEntity, { where: { patientId }, order: { scheduledAt: 'ASC' } });
  }
  slotsInStates(states: string[]): Promise<AdministrationSlotEntity[]> {
    return this.ds.manager.find(AdministrationSlotEntity, { where: { state: In(states) as never } });
  }
  /**
   * Slots given under an override, newest first, one page at a time with the count of all that
   * match: `reviewed` picks reviewed or unreviewed ones, `wards` (null = every ward) keeps the
   * slots of patients on those wards.
   */
  async slotsWithOverrides(filter: {
    reviewed?: boolean | undefined;
    wards: readonly string[] | null;
    limit: number;
    offset: number;
  }): Promise<{ total: number; items: AdministrationSlotEntity[] }> {
    if (filter.wards && filter.wards.length === 0) return { total: 0, items: [] };
    const qb = this.ds.manager.createQueryBuilder(AdministrationSlotEntity, 's');
    if (filter.reviewed === undefined) qb.where('s.override_status IS NOT NULL');
    // waiting for a review: new overrides and those recorded before override review existed
    else qb.where('s.override_status IN (:...status)', { status: filter.reviewed ? ['reviewed'] : ['unreviewed', 'legacy_unreviewed'] });
    if (filter.wards) qb.innerJoin(PatientEntity, 'p', 'p.id = s.patient_id').andWhere('p.ward IN (:...wards)', { wards: [...filter.wards] });
    const total = await qb.clone().getCount();
    const items = await qb.orderBy('s.recorded_at', 'DESC').addOrderBy('s.id', 'ASC').limit(filter.limit).offset(filter.offset).getMany();
    return { total, items };
  }
  /**
   * Overrides still waiting for a review that were recorded before `cutoff` (the overdue-review
   * timer). Not the `legacy_unreviewed` ones: they predate the review and would alarm all at once.
   */
  overridesUnreviewedSince(cutoff: Date): Promise<AdministrationSlotEntity[]> {
    return (
      this.ds.manager
        .createQueryBuilder(AdministrationSlotEntity, 's')
        .where("s.override_status = 'unreviewed'")
        // instants are ISO-8601 text (columns.ts): compared as text
        .andWhere('s.recorded_at < :cutoff', { cutoff: cutoff.toISOString() })
        .orderBy('s.recorded_at', 'ASC')
        .getMany()
    );
  }
  patientsByIds(ids: string[]): Promise<PatientEntity[]> {
    return ids.length ? this.ds.manager.find(PatientEntity, { where: { id: In(ids) } }) : Promise.resolve([]);
  }
  ordersByIds(ids: string[]): Promise<MedicationOrderEntity[]> {
    return ids.length ? this.ds.manager.find(MedicationOrderEntity, { where: { id: In(ids) } }) : Promise.resolve([]);
  }
  async insertPatient(p: PatientEntity): Promise<void> {
    await runWrite(this.ds, () => this.ds.manager.insert(PatientEntity, p));
  }
  async insertMedication(m: MedicationEntity): Promise<void> {
    await runWrite(this.ds, () => this.ds.manager.insert(MedicationEntity, m));
  }
}
