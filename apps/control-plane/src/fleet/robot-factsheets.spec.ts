import { beforeEach, describe, expect, it } from '@jest/globals';
import type { Factsheet } from '#contracts';
import { RobotFactsheetsRepository } from '#persistence';
import { newTestService, type TestService } from '#testing';
import { LOGGER } from '../common/logger.js';
import { canonicalFactsheet, RobotFactsheets } from './robot-factsheets.js';

const sheet = (headerId: number, over: Record<string, unknown> = {}) =>
  ({
    headerId,
    timestamp: new Date(1_700_000_000_000 + headerId).toISOString(),
    version: '2.0.0',
    manufacturer: 'M',
    serialNumber: 'S',
    protocolFeatures: { optionalParameters: [], agvActions: [{ actionType: 'pick', actionScopes: ['NODE'] }] },
    ...over,
  }) as unknown as Factsheet;

/** A save that stays open until the test lets it end. */
function gatedSaves(repo: { save: { mockImplementation(fn: (row: unknown) => Promise<void>): unknown } }) {
  const saved: unknown[] = [];
  const open: (() => void)[] = [];
  repo.save.mockImplementation(
    (row) =>
      new Promise<void>((resolve) => {
        saved.push(row);
        open.push(resolve);
      }),
  );
  return { saved, release: () => open.shift()?.() };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('RobotFactsheets', () => {
  let t: TestService<RobotFactsheets>;
  const errors: unknown[] = [];

  beforeEach(() => {
    errors.length = 0;
    t = newTestService(RobotFactsheets, [[LOGGER, { error: (o: unknown) => errors.push(o) }]]);
    t.mock(RobotFactsheetsRepository).list.mockImplementation(async () => []);
  });

  it('reads the same declaration with another header, or its keys in another order, as unchanged', () => {
    const a = sheet(1);
    const { protocolFeatures, ...rest } = sheet(2) as unknown as Record<string, unknown>;
    const reordered = {
      protocolFeatures: { agvActions: [{ actionScopes: ['NODE'], actionType: 'pick' }], optionalParameters: [] },
      ...rest,
    } as unknown as Factsheet;
    expect(protocolFeatures).toBeDefined();
    expect(canonicalFactsheet(reordered)).toBe(canonicalFactsheet(a));
    expect(canonicalFactsheet(sheet(3, { loadSpecification: { loadPositions: ['C1'] } }))).not.toBe(canonicalFactsheet(a));
  });

  it('writes an unchanged factsheet once, whatever its header or key order', async () => {
    const repo = t.mock(RobotFactsheetsRepository);
    repo.save.mockImplementation(async () => undefined);
    await t.sut.remember('r1', sheet(1), new Date());
    await t.sut.remember('r1', sheet(2), new Date());
    await t.sut.remember('r1', { ...sheet(3), manufacturer: 'M', version: '2.0.0' } as Factsheet, new Date());
    expect(repo.save).toHaveBeenCalledTimes(1);
  });

  it('coalesces a burst: while a write runs only the newest factsheet waits, and it is written next', async () => {
    const repo = t.mock(RobotFactsheetsRepository);
    const gate = gatedSaves(repo);
    const first = t.sut.remember('r1', sheet(1, { loadSpecification: { loadPositions: ['C0'] } }), new Date());
    const waits: Promise<void>[] = [];
    for (let i = 2; i <= 50; i++) waits.push(t.sut.remember('r1', sheet(i, { loadSpecification: { loadPositions: [`C${i}`] } }), new Date()));
    await flush();
    expect(gate.saved).toHaveLength(1);
    gate.release();
    await flush();
    // the 48 in between were replaced, never held
    expect(gate.saved).toHaveLength(2);
    expect((gate.saved[1] as { factsheet: { loadSpecification: unknown } }).factsheet.loadSpecification).toEqual({ loadPositions: ['C50'] });
    gate.release();
    await Promise.all([first, ...waits]);
    expect(repo.save).toHaveBeenCalledTimes(2);
    // the last one is known written: sent again, it is not written again
    await t.sut.remember('r1', sheet(51, { loadSpecification: { loadPositions: ['C50'] } }), new Date());
    expect(repo.save).toHaveBeenCalledTimes(2);
  });

  it('skips a factsheet equal to the one waiting, and drops the waiting one when the newest says what the running write stores', async () => {
    const repo = t.mock(RobotFactsheetsRepository);
    const gate = gatedSaves(repo);
    const a = sheet(1);
    const b = sheet(2, { loadSpecification: { loadPositions: ['C1'] } });
    void t.sut.remember('r1', a, new Date());
    void t.sut.remember('r1', b, new Date());
    void t.sut.remember('r1', sheet(3, { loadSpecification: { loadPositions: ['C1'] } }), new Date());
    await flush();
    expect(gate.saved).toHaveLength(1);
    // back to a's declaration: b is no longer the robot's, and a is being written
    const last = t.sut.remember('r1', sheet(4), new Date());
    gate.release();
    await last;
    expect(gate.saved).toHaveLength(1);
    void t.sut.remember('r1', sheet(5, { loadSpecification: { loadPositions: ['C1'] } }), new Date());
    await flush();
    expect(gate.saved).toHaveLength(2);
    gate.release();
  });

  it('tries again with the next factsheet after a failed write, and logs it', async () => {
    const repo = t.mock(RobotFactsheetsRepository);
    repo.save.mockImplementationOnce(async () => {
      throw new Error('db down');
    });
    repo.save.mockImplementation(async () => undefined);
    await t.sut.remember('r1', sheet(1), new Date());
    expect(errors).toHaveLength(1);
    await t.sut.remember('r1', sheet(2), new Date());
    expect(repo.save).toHaveBeenCalledTimes(2);
  });

  it('takes the stored factsheets read at boot as written', async () => {
    const repo = t.mock(RobotFactsheetsRepository);
    repo.list.mockImplementation(async () => [
      { deviceId: 'r1', version: '2.0.0', factsheet: sheet(1) as unknown as Record<string, unknown>, receivedAt: new Date() },
    ]);
    repo.save.mockImplementation(async () => undefined);
    expect((await t.sut.load()).get('r1')?.factsheet).toMatchObject({ headerId: 1 });
    await t.sut.remember('r1', sheet(9), new Date());
    expect(repo.save).not.toHaveBeenCalled();
  });
});
