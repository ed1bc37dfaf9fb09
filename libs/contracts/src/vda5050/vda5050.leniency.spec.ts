import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { leniencyFor, VDA_LENIENCIES } from './vda5050.leniency.js';
import { sampleState } from './vda5050.samples.js';
import { validateVda, validateVdaLenient } from './vda5050.validator.js';
import { VDA_DIALECTS } from './vda5050.dialect.js';
import type { State, VdaVersion } from './vda5050.types.js';

/** A state whose robot echoes `n` order nodes that came without theta. */
function echoing(version: VdaVersion, n: number): State {
  const s = sampleState(version);
  s.nodeStates = Array.from({ length: n }, (_, i) => ({ nodeId: `n${i}`, sequenceId: 2 * i, released: true, nodePosition: { x: i, y: 0, mapId: 'F1' } }));
  return s;
}

describe('VDA 5050 leniencies', () => {
  it('accepts a 2.0 state whose nodeStates lack theta, naming the leniency; strict validation still refuses it', () => {
    const s = echoing('2.0.0', 3);
    expect(validateVda('state', s).ok).toBe(false);
    const r = validateVdaLenient('state', s);
    expect(r.ok && r.leniencies).toEqual(['nodeState_theta_missing']);
  });

  it('needs no leniency for 2.1, whose schema made theta optional there', () => {
    const r = validateVdaLenient('state', echoing('2.1.0', 3));
    expect(r.ok && r.leniencies).toEqual([]);
  });

  it('still rejects with the strict issues when any other issue is present', () => {
    const s = echoing('2.0.0', 2) as unknown as Record<string, unknown>;
    delete s['driving'];
    const r = validateVdaLenient('state', s);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.map((e) => e.path).sort()).toEqual(['driving', 'nodeStates[0].nodePosition.theta', 'nodeStates[1].nodePosition.theta']);
  });

  it('judges every issue, also those past the reported first 20', () => {
    const s = echoing('2.0.0', 25);
    expect(validateVdaLenient('state', s).ok).toBe(true);
    delete (s.agvPosition as Partial<NonNullable<State['agvPosition']>>).theta; // the robot's own pose: strict
    expect(validateVdaLenient('state', s).ok).toBe(false);
  });

  it('covers only its own version, topic, path and message', () => {
    const issue = { path: 'nodeStates[0].nodePosition.theta', message: 'is required' };
    expect(leniencyFor('2.0.0', 'state', [issue])).toEqual(['nodeState_theta_missing']);
    expect(leniencyFor('2.1.0', 'state', [issue])).toBeNull();
    expect(leniencyFor('2.0.0', 'visualization', [issue])).toBeNull();
    expect(leniencyFor('2.0.0', 'state', [{ ...issue, message: 'must be of type number' }])).toBeNull();
    expect(leniencyFor('2.0.0', 'state', [{ ...issue, path: 'agvPosition.theta' }])).toBeNull();
    expect(leniencyFor('2.0.0', 'state', [])).toBeNull();
  });

  it('every leniency kind and dialect is documented in EXTENSIONS.md, with a why', () => {
    const doc = readFileSync(new URL('./EXTENSIONS.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Leniencies and dialects'));
    expect(section.length).toBeLessThan(doc.length);
    for (const l of VDA_LENIENCIES) {
      expect(section).toContain(`\`${l.kind}\``);
      expect(l.why.length).toBeGreaterThan(40);
    }
    for (const d of VDA_DIALECTS) expect(section).toContain(`\`${d}\``);
  });
});
