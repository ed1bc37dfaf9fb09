import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '../errors.js';
import { compartmentUri, doseEpc, locationUri, stableUuid, toIso, uuidV5 } from './interop.ids.js';

describe('interop ids', () => {
  it('computes RFC 4122 version-5 UUIDs (RFC test vector: DNS namespace, python.org)', () => {
    expect(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  it('keeps MedLoop UUIDs (lower-cased) and derives a stable UUID for any other id', () => {
    expect(stableUuid('Device', '3B000000-0000-4000-8000-000000000001')).toBe('3b000000-0000-4000-8000-000000000001');
    const robot = stableUuid('Device', 'robot-07');
    expect(robot).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(stableUuid('Device', 'robot-07')).toBe(robot);
    expect(stableUuid('Location', 'robot-07')).not.toBe(robot);
  });

  it('names a dose by SGTIN, LGTIN, GTIN class or MedLoop URN depending on what was scanned', () => {
    expect(doseEpc({ id: 'd', gtin: '09506000134352', lot: 'L1', serial: 'A/1' })).toEqual({
      kind: 'instance',
      epc: 'https://id.gs1.org/01/09506000134352/21/A%2F1',
    });
    expect(doseEpc({ id: 'd', gtin: '09506000134352', lot: 'L1', serial: null })).toEqual({
      kind: 'class',
      epcClass: 'https://id.gs1.org/01/09506000134352/10/L1',
    });
    expect(doseEpc({ id: 'd', gtin: '09506000134352', lot: null, serial: null })).toEqual({ kind: 'class', epcClass: 'https://id.gs1.org/01/09506000134352' });
    expect(doseEpc({ id: 'd1', gtin: null, lot: null, serial: null })).toEqual({ kind: 'instance', epc: 'urn:medloop:dose:d1' });
  });

  it('escapes location and compartment ids into URNs and prefers a known GLN', () => {
    expect(locationUri('ward 4B/bed:12')).toBe('urn:medloop:location:ward%204B%2Fbed%3A12');
    expect(locationUri('ward-4B', { glnByLocation: { 'ward-4B': '9506000134352' } })).toBe('https://id.gs1.org/414/9506000134352');
    expect(compartmentUri('robot:7', 'C1')).toBe('urn:medloop:compartment:robot%3A7:C1');
  });

  it('normalises timestamps to UTC ISO and rejects garbage', () => {
    expect(toIso('2025-11-26T10:00:00+01:00')).toBe('2025-11-26T09:00:00.000Z');
    expect(() => toIso('yesterday', 'at')).toThrow(ValidationError);
  });
});
