import { describe, expect, it } from '@jest/globals';
import { parseVdaTopic, topicLevelProblem, VDA_TOPICS, vdaMajorVersion, vdaTopic, vdaTopicFilter } from './vda5050.topics.js';

describe('VDA 5050 topics', () => {
  it('builds and parses a robot topic', () => {
    const topic = vdaTopic('uagv', 'MedLoop', 'R-0001', 'order');
    expect(topic).toBe('uagv/v2/MedLoop/R-0001/order');
    expect(parseVdaTopic(topic)).toEqual({ interfaceName: 'uagv', majorVersion: 'v2', manufacturer: 'MedLoop', serialNumber: 'R-0001', topic: 'order' });
  });

  it('allows the full serialNumber alphabet', () => {
    expect(parseVdaTopic('uagv/v2/Acme Bots/a_B.9:z-1/state')?.serialNumber).toBe('a_B.9:z-1');
  });

  it.each([
    ['interfaceName', 'ua+gv'],
    ['manufacturer', 'Acme#'],
    ['manufacturer', 'A/B'],
    ['serialNumber', 'R 1'],
    ['serialNumber', 'R$1'],
    ['serialNumber', ''],
  ] as const)('refuses %s %j', (level, value) => {
    expect(topicLevelProblem(level, value)).toMatch(level);
    const args = { interfaceName: 'uagv', manufacturer: 'MedLoop', serialNumber: 'R-1', [level]: value };
    expect(() => vdaTopic(args.interfaceName, args.manufacturer, args.serialNumber, 'state')).toThrow(RangeError);
  });

  it.each([
    'uagv/v2/MedLoop/R-1',
    'uagv/v2/MedLoop/R-1/state/extra',
    'uagv/2/MedLoop/R-1/state',
    'uagv/v2/MedLoop/R-1/orders',
    'uagv/v2/MedLoop/R 1/state',
    'uagv/v2/+/R-1/state',
    'uagv/v2/MedLoop/R-1/toString',
  ])('does not parse %j', (topic) => {
    expect(parseVdaTopic(topic)).toBeNull();
  });

  it('builds wildcard filters for controllers', () => {
    expect(vdaTopicFilter('uagv', 'state')).toBe('uagv/v2/+/+/state');
    expect(vdaTopicFilter('uagv', '+', 'MedLoop', 'R-1')).toBe('uagv/v2/MedLoop/R-1/+');
  });

  it('encodes the delivery rules of the standard', () => {
    expect(VDA_TOPICS.connection).toMatchObject({ qos: 1, retain: true, direction: 'robotToController' });
    expect(VDA_TOPICS.factsheet).toMatchObject({ qos: 0, retain: true });
    expect(VDA_TOPICS.order).toMatchObject({ qos: 0, retain: false, direction: 'controllerToRobot' });
    expect(vdaMajorVersion('2.1.0')).toBe('v2');
  });
});
