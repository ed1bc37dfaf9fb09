import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { newTestService, type TestService } from '#testing';
import { type CustodyEventEntity, CustodyRepository, type DoseEntity } from '#persistence';
import { AlarmsService } from '../alarms/alarms.service.js';
import { ColdChainService } from '../cold-chain/cold-chain.service.js';
import { type DomainEventMap, EventBus } from '../common/events.js';
import { LOGGER } from '../common/logger.js';
import { CustodyLinksService, locationKeyOf } from './custody-links.service.js';
import { CustodyTransitions, type CustodyWrite } from './custody-transitions.js';

const T0 = Date.parse('2025-01-01T08:00:00Z');
const at = (min: number) => new Date(T0 + min * 60_000);

const excursion = (status: DomainEventMap['coldchain.excursion']['status'], end: string | null = null): DomainEventMap['coldchain.excursion'] => ({
  excursionId: 'exc-1',
  storageId: 'robot-1/C3',
  storageKind: 'robot_compartment',
  ward: 'W-CARD',
  status,
  window: { start: at(10).toISOString(), end },
  minC: 9,
  maxC: 12,
  at: at(40).toISOString(),
});

describe('CustodyLinksService: cold-chain quarantine', () => {
  let t: TestService<CustodyLinksService>;
  let bus: EventBus;
  let logger: { error: jest.Mock; warn: jest.Mock; info: jest.Mock; debug: jest.Mock };
  let doses: Record<string, DoseEntity>;
  let moveDose: jest.Mock<CustodyWrite['moveDose']>;

  beforeEach(() => {
    bus = new EventBus();
    logger = { error: jest.fn(), warn: jest.fn(), info: jest.fn(), debug: jest.fn() };
    t = newTestService(CustodyLinksService, [
      [EventBus, bus],
      [LOGGER, logger],
    ]);
    const key = locationKeyOf({ storageId: 'robot-1/C3', storageKind: 'robot_compartment' });
    // dose-a rode in the compartment through the window; dose-b left it before the window
    const ev = (doseId: string, seq: number, min: number, location: string) => ({
      doseId,
      seq,
      at: at(min),
      location,
      action: 'moved',
      toState: 'moved',
      evidence: {},
    });
    const events: Record<string, ReturnType<typeof ev>[]> = {
      'dose-a': [ev('dose-a', 1, 0, 'pharmacy'), ev('dose-a', 3, 5, key)],
      'dose-b': [ev('dose-b', 2, 0, key), ev('dose-b', 4, 8, 'ward:W-CARD')],
    };
    t.mock(CustodyRepository).eventsAtLocation.mockResolvedValue([...events['dose-a']!, ...events['dose-b']!] as CustodyEventEntity[]);
    t.mock(CustodyRepository).eventsOfDose.mockImplementation(async (id: string) => (events[id] ?? []) as CustodyEventEntity[]);
    doses = {
      'dose-a': { id: 'dose-a', state: 'in_transit', location: key } as DoseEntity,
      'dose-b': { id: 'dose-b', state: 'received', location: 'ward:W-CARD' } as DoseEntity,
    };
    moveDose = jest.fn<CustodyWrite['moveDose']>(async (d, to) => Object.assign(d, { state: to }));
    const write = { tx: { dose: async (id: string) => doses[id] ?? null, patient: async () => null }, moveDose } as unknown as CustodyWrite;
    t.mock(CustodyTransitions).run.mockImplementation(async (work) => work(write));
    t.mock(ColdChainService).recordDosesQuarantined.mockResolvedValue(undefined);
    t.sut.onApplicationBootstrap();
  });

  const settled = () => new Promise((r) => setTimeout(r, 20));

  it('hears the coldchain.excursion event at all', () => {
    expect(bus.listenerCount('coldchain.excursion')).toBe(1);
  });

  it('a quarantine quarantines the doses exposed in the window and reports their count to the cold chain', async () => {
    bus.emit('coldchain.excursion', excursion('quarantine'));
    await settled();
    expect(moveDose).toHaveBeenCalledTimes(1);
    expect(moveDose).toHaveBeenCalledWith(
      doses['dose-a'],
      'quarantined',
      expect.objectContaining({
        action: 'quarantined',
        actor: { type: 'system', id: 'cold-chain' },
        ward: 'W-CARD',
        evidence: expect.objectContaining({ reason: 'cold-chain excursion', excursionId: 'exc-1', storageId: 'robot-1/C3', minC: 9, maxC: 12 }),
      }),
    );
    expect(t.mock(ColdChainService).recordDosesQuarantined).toHaveBeenCalledWith('exc-1', 1);
  });

  it('an exposed dose already given is not held, and raises an alarm for the pharmacist naming it', async () => {
    doses['dose-a']!.state = 'administered';
    bus.emit('coldchain.excursion', excursion('quarantine'));
    await settled();
    expect(moveDose).not.toHaveBeenCalled();
    expect(t.mock(AlarmsService).raise).toHaveBeenCalledWith(
      expect.objectContaining({ type: 'coldchain.exposed_dose_given', subject: 'exc-1', params: expect.objectContaining({ doses: ['dose-a'] }) }),
    );
    expect(t.mock(ColdChainService).recordDosesQuarantined).toHaveBeenCalledWith('exc-1', 0);
  });

  it('when the window closes it counts the doses already held without moving them again', async () => {
    bus.emit('coldchain.excursion', excursion('quarantine'));
    bus.emit('coldchain.excursion', excursion('quarantine', at(30).toISOString()));
    await settled();
    expect(moveDose).toHaveBeenCalledTimes(1);
    expect(t.mock(ColdChainService).recordDosesQuarantined.mock.calls).toEqual([
      ['exc-1', 1],
      ['exc-1', 1],
    ]);
  });

  it('ignores excursions that are not quarantines, and a decision on the stock moves no dose', async () => {
    for (const s of ['excursion', 'closed', 'released', 'destroyed'] as const) bus.emit('coldchain.excursion', { ...excursion(s), by: 'ph.li' });
    await settled();
    expect(t.mock(CustodyTransitions).run).not.toHaveBeenCalled();
    expect(t.mock(ColdChainService).recordDosesQuarantined).not.toHaveBeenCalled();
  });

  it('logs a failure and never throws into the bus', async () => {
    t.mock(ColdChainService).recordDosesQuarantined.mockRejectedValue(new Error('disk full'));
    expect(() => bus.emit('coldchain.excursion', excursion('quarantine'))).not.toThrow();
    await settled();
    expect(logger.error).toHaveBeenCalledWith(expect.objectContaining({ excursionId: 'exc-1' }), 'custody could not quarantine exposed doses');
  });
});
