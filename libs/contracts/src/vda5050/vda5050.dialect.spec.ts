import { describe, expect, it } from '@jest/globals';
import { instantActionsBody, vdaDialectFor } from './vda5050.dialect.js';
import { sampleInstantActions } from './vda5050.samples.js';
import { validateVda } from './vda5050.validator.js';
import type { VdaVersion } from './vda5050.types.js';

describe('VDA 5050 dialects', () => {
  it('picks the dialect from the declared version; unknown ones get 2.0 (valid for both)', () => {
    expect(vdaDialectFor('2.0.0')).toBe('vda2.0');
    expect(vdaDialectFor('2.0.3')).toBe('vda2.0');
    expect(vdaDialectFor('2.1.0')).toBe('vda2.1');
    expect(vdaDialectFor('2.1.9')).toBe('vda2.1');
    expect(vdaDialectFor(undefined)).toBe('vda2.0');
    expect(vdaDialectFor('banana')).toBe('vda2.0');
  });

  it('2.0 sends the list as both actions and instantActions; 2.1 only actions', () => {
    const { actions } = sampleInstantActions('2.0.0');
    expect(instantActionsBody('vda2.0', actions)).toEqual({ actions, instantActions: actions });
    expect(instantActionsBody('vda2.1', actions)).toEqual({ actions });
  });

  it.each(['2.0.0', '2.1.0'] as VdaVersion[])('a message with both arrays still validates against the %s schema', (version) => {
    const base = sampleInstantActions(version);
    const msg = { ...base, ...instantActionsBody('vda2.0', base.actions) };
    const r = validateVda('instantActions', msg);
    expect(r.ok ? [] : r.errors).toEqual([]);
  });
});
