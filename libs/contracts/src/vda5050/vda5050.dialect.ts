/**
 * Per-robot dialect: what MedLoop sends depends on the VDA 5050 version the robot declares
 * (the `version` of its own messages, factsheet included), because the published 2.0 text
 * and schema disagree and robots in the field follow either. Each choice is one small
 * function here, listed in EXTENSIONS.md ("Leniencies and dialects").
 */
import type { Action } from './vda5050.types.js';
import { schemaVersionFor } from './vda5050.validator.js';

/**
 * - `vda2.0`: instantActions carry the list twice, as `actions` and `instantActions`.
 * - `vda2.1`: `actions` only, as the 2.1 text and schema both say.
 */
export const VDA_DIALECTS = ['vda2.0', 'vda2.1'] as const;
export type VdaDialect = (typeof VDA_DIALECTS)[number];

/**
 * The dialect for a robot's declared version. A version MedLoop cannot place (none heard yet,
 * or malformed) gets `vda2.0`: its message is also valid 2.1, so it reaches either kind.
 */
export function vdaDialectFor(declaredVersion: string | undefined): VdaDialect {
  return schemaVersionFor(declaredVersion) === '2.1.0' ? 'vda2.1' : 'vda2.0';
}

/**
 * The body of an instantActions message for a dialect. VDA 5050 2.0's document text
 * (its instantActions message table) names the array `instantActions`, while
 * its JSON schema names it `actions`; stock 2.0 robot stacks read either (e.g. vda-5050-lib
 * reads `instantActions`, MedLoop's simulator `actions`), and one that reads the other name
 * sees an empty message — an unlock that never happens. The 2.0.0 and 2.1.0 schemas do not
 * forbid additional properties, so sending both validates against both; 2.1 settled on
 * `actions`, and a 2.1 robot gets exactly that.
 */
export function instantActionsBody(dialect: VdaDialect, actions: Action[]): { actions: Action[]; instantActions?: Action[] } {
  return dialect === 'vda2.0' ? { actions, instantActions: actions } : { actions };
}
