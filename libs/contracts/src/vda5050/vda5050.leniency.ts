/**
 * Named leniencies: the few schema failures MedLoop accepts from a robot because the robot is
 * right by its own version of the standard (or only echoes what MedLoop itself left out).
 * Validation stays strict first; only when *every* issue of a failed message is covered by an
 * entry below is the message accepted, and each kind used is reported so the edge can count
 * it (`medloop_vda_leniency_total{robot,kind}`). A message with any other issue is rejected
 * with the strict issues, exactly as without this table.
 *
 * Each entry is data, listed in EXTENSIONS.md ("Leniencies and dialects"); a spec holds the
 * two together. Add one only with the clause of the standard that makes the robot right.
 */
import type { VdaTopicName } from './vda5050.topics.js';
import type { VdaVersion } from './vda5050.types.js';

export interface VdaLeniency {
  /** short stable code: the metric's `kind` label */
  readonly kind: string;
  /** schema versions (the message's declared version) it applies to */
  readonly versions: readonly VdaVersion[];
  readonly topics: readonly VdaTopicName[];
  /** the issue path it covers (as the validator names it, e.g. `nodeStates[3].nodePosition.theta`) */
  readonly path: RegExp;
  /** the issue message it covers (the validator's wording) */
  readonly message: string;
  /** why the robot is right, citing the standard */
  readonly why: string;
}

export const VDA_LENIENCIES = [
  {
    kind: 'nodeState_theta_missing',
    versions: ['2.0.0'],
    topics: ['state'],
    path: /^nodeStates\[\d+\]\.nodePosition\.theta$/,
    message: 'is required',
    // Accepted for every 2.0 nodeState, not only those whose order node lacked theta: the
    // validator keeps no order history, MedLoop reads nodeStates by nodeId/sequenceId only
    // (never the position), and a robot may report any node of an order another controller
    // sent before MedLoop's. What it may not omit elsewhere (agvPosition.theta) stays strict.
    why:
      'VDA 5050 2.0 order: nodePosition.theta is "Optional: vehicle can plan the path by itself", and ' +
      'state.nodeStates[].nodePosition is "defined in chapter 5.4 Topic: Order", i.e. the order\'s node position echoed ' +
      '("Master control has this information"); the 2.0.0 state schema still requires theta there, which the 2.1.0 ' +
      'state schema corrected (theta optional in nodeStates).',
  },
] as const satisfies readonly VdaLeniency[];

export type VdaLeniencyKind = (typeof VDA_LENIENCIES)[number]['kind'];

/**
 * The leniency kinds that together cover every issue of a failed validation, or null when at
 * least one issue is covered by none (the message must be rejected). Pass the full issue
 * list, not a truncated one: an uncovered issue past the cut must still reject.
 */
export function leniencyFor(version: VdaVersion, topic: VdaTopicName, issues: readonly { path: string; message: string }[]): VdaLeniencyKind[] | null {
  if (issues.length === 0) return null;
  const used = new Set<VdaLeniencyKind>();
  for (const issue of issues) {
    const l = VDA_LENIENCIES.find(
      (x) =>
        (x.versions as readonly VdaVersion[]).includes(version) &&
        (x.topics as readonly VdaTopicName[]).includes(topic) &&
        x.message === issue.message &&
        x.path.test(issue.path),
    );
    if (!l) return null;
    used.add(l.kind);
  }
  return [...used];
}
