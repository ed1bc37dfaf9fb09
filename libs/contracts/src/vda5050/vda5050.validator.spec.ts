import { fileURLToPath } from 'node:url';
import { describe, expect, it, jest } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { locateVdaSchemaDir, schemaVersionFor, validateVda, VdaValidator } from './vda5050.validator.js';
import { sampleConnection, sampleFactsheet, sampleInstantActions, sampleOrder, sampleState, sampleVisualization } from './vda5050.samples.js';
import type { VdaVersion } from './vda5050.types.js';

const versions: VdaVersion[] = ['2.0.0', '2.1.0'];

describe('validateVda', () => {
  describe.each(versions)('valid %s messages', (version) => {
    it.each([
      ['order', sampleOrder],
      ['instantActions', sampleInstantActions],
      ['state', sampleState],
      ['connection', sampleConnection],
      ['visualization', sampleVisualization],
      ['factsheet', sampleFactsheet],
    ] as const)('accepts a %s', (topic, sample) => {
      const result = validateVda(topic, sample(version));
      expect(result.ok ? [] : result.errors).toEqual([]);
      expect(result.ok && result.version).toBe(version);
    });
  });

  it('accepts a patch version and a raw MQTT payload buffer', () => {
    const order = { ...sampleOrder('2.1.0'), version: '2.1.7' };
    const result = validateVda('order', Buffer.from(JSON.stringify(order)));
    expect(result.ok).toBe(true);
    expect(result.ok && result.message.orderId).toBe('order-1');
  });

  it('names the missing field with its full path', () => {
    const order = sampleOrder('2.1.0');
    delete (order.nodes[1] as Partial<(typeof order.nodes)[number]>).released;
    expect(validateVda('order', order)).toEqual({ ok: false, errors: [{ path: 'nodes[1].released', message: 'is required' }] });
  });

  it('names an invalid enum value inside an action', () => {
    const order = sampleOrder('2.0.0');
    (order.nodes[2]!.actions[1] as { blockingType: string }).blockingType = 'MAYBE';
    const result = validateVda('order', order);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]).toEqual({ path: 'nodes[2].actions[1].blockingType', message: 'must be one of NONE, SOFT, HARD' });
  });

  it('rejects a wrong type and a bad timestamp in a state', () => {
    const state = { ...sampleState('2.1.0'), orderUpdateId: '3', timestamp: 'yesterday' };
    const result = validateVda('state', state);
    expect(!result.ok && result.errors).toEqual(
      expect.arrayContaining([{ path: 'orderUpdateId', message: 'must be of type integer' }, expect.objectContaining({ path: 'timestamp' })]),
    );
  });

  it('applies version differences: 2.0 state nodePosition needs theta, 2.1 does not', () => {
    const withoutTheta = (version: VdaVersion) => {
      const state = sampleState(version);
      delete state.nodeStates[0]!.nodePosition!.theta;
      return validateVda('state', state);
    };
    expect(withoutTheta('2.1.0').ok).toBe(true);
    expect(!withoutTheta('2.0.0').ok && withoutTheta('2.0.0')).toMatchObject({ errors: [{ path: 'nodeStates[0].nodePosition.theta' }] });
  });

  it('rejects PAUSED as actionStatus (the official schemas do not allow it)', () => {
    const state = sampleState('2.1.0');
    (state.actionStates[0] as { actionStatus: string }).actionStatus = 'PAUSED';
    expect(validateVda('state', state)).toMatchObject({ ok: false, errors: [{ path: 'actionStates[0].actionStatus' }] });
  });

  it('rejects an unknown or missing version, naming the version field', () => {
    expect(validateVda('connection', { ...sampleConnection('2.1.0'), version: '3.0.0' })).toEqual({
      ok: false,
      errors: [{ path: 'version', message: "unsupported VDA 5050 version '3.0.0'; expected 2.0.x or 2.1.x" }],
    });
    const { version: _omit, ...noVersion } = sampleConnection('2.1.0');
    expect(validateVda('connection', noVersion)).toMatchObject({ ok: false, errors: [{ path: 'version' }] });
  });

  it('rejects non-JSON payloads and non-objects without throwing', () => {
    expect(validateVda('state', Buffer.from('{not json'))).toMatchObject({ ok: false, errors: [{ path: '' }] });
    expect(validateVda('state', [1, 2])).toEqual({ ok: false, errors: [{ path: '', message: 'message must be a JSON object' }] });
  });

  it('2.0.0 instantActions use actionType (erratum of the published actionName)', () => {
    const msg = sampleInstantActions('2.0.0');
    expect(validateVda('instantActions', msg).ok).toBe(true);
    delete (msg.actions[0] as { actionType?: string }).actionType;
    expect(validateVda('instantActions', msg)).toMatchObject({ ok: false, errors: [{ path: 'actions[0].actionType', message: 'is required' }] });
  });

  it('2.1.0 factsheet accepts blockingTypes as an array of enum values (erratum)', () => {
    const fs = sampleFactsheet('2.1.0');
    fs.protocolFeatures.agvActions[0] = { ...fs.protocolFeatures.agvActions[0]!, blockingTypes: ['HARD', 'SOFT'] } as never;
    expect(validateVda('factsheet', fs).ok).toBe(true);
  });

  it('compiles each schema once and reuses it for every message (no timing: counts the compiles)', () => {
    const compile = jest.spyOn(Ajv2020.prototype, 'compile');
    try {
      const validator = new VdaValidator();
      validator.warmUp();
      // 2 versions × 6 topics, compiled at warm-up
      expect(compile).toHaveBeenCalledTimes(12);
      const state = sampleState('2.1.0');
      for (let i = 0; i < 2000; i++) expect(validator.validate('state', state).ok).toBe(true);
      expect(validator.validateLenient('state', sampleState('2.0.0')).ok).toBe(true);
      expect(compile).toHaveBeenCalledTimes(12);
    } finally {
      compile.mockRestore();
    }
  });
});

describe('schema location and version mapping', () => {
  it('finds libs/contracts/vda5050 from the sources and from a dist path', () => {
    const dir = locateVdaSchemaDir();
    expect(dir.endsWith('libs/contracts/vda5050')).toBe(true);
    const root = dir.slice(0, -'libs/contracts/vda5050'.length);
    // dist/libs/contracts/src/vda5050/x.js does not exist on disk; the walk only needs its parents.
    expect(locateVdaSchemaDir(`${root}dist/libs/contracts/src/vda5050/vda5050.validator.js`)).toBe(dir);
    expect(fileURLToPath(import.meta.url).startsWith(root)).toBe(true);
  });

  it('maps major.minor to a schema set', () => {
    expect(schemaVersionFor('2.0.3')).toBe('2.0.0');
    expect(schemaVersionFor('2.1.0')).toBe('2.1.0');
    expect(schemaVersionFor('2.2.0')).toBeNull();
    expect(schemaVersionFor('2.1')).toBeNull();
    expect(schemaVersionFor(2)).toBeNull();
  });
});
