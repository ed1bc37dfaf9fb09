/**
 * The topic ACL: what each principal may publish and subscribe to. Pure; the broker calls
 * `compileAcl` once per connection and then the returned checks on every packet, so the
 * per-message path is a Set lookup for devices and a short pattern scan for integrations.
 */
import {
  DEVICE_PUBLISH_CHANNELS,
  DEVICE_SUBSCRIBE_CHANNELS,
  VDA_ROBOT_PUBLISH_TOPICS,
  VDA_ROBOT_SUBSCRIBE_TOPICS,
  deviceTopic,
  rejectionTopic,
} from '#contracts';
import type { AclAction, AclDecision, AclRule, Principal } from './principal.js';
import { filterCovers, filtersIntersect, invalidTopicFilter, invalidTopicName, topicMatches } from './topic-filter.js';

export interface CompiledAcl {
  canPublish(topic: string): AclDecision;
  canSubscribe(filter: string): AclDecision;
}

const ALLOW: AclDecision = { allowed: true };
const deny = (reason: string): AclDecision => ({ allowed: false, reason });

/** The VDA 5050 topic root of a robot: `{interfaceName}/v2/{manufacturer}/{serialNumber}`. */
export function robotTopicRoot(p: { interfaceName: string; manufacturer: string; serialNumber: string }): string {
  return `${p.interfaceName}/v2/${p.manufacturer}/${p.serialNumber}`;
}

export function compileAcl(principal: Principal): CompiledAcl {
  switch (principal.type) {
    case 'internal':
      return { canPublish: () => ALLOW, canSubscribe: () => ALLOW };
    case 'robot': {
      const root = robotTopicRoot(principal);
      return exactSpace(
        VDA_ROBOT_PUBLISH_TOPICS.map((t) => `${root}/${t}`),
        [...VDA_ROBOT_SUBSCRIBE_TOPICS.map((t) => `${root}/${t}`), rejectionTopic(principal.deviceId)],
      );
    }
    case 'device':
      return exactSpace(
        DEVICE_PUBLISH_CHANNELS.map((c) => deviceTopic(principal.kind, principal.deviceId, c)),
        [...DEVICE_SUBSCRIBE_CHANNELS.map((c) => deviceTopic(principal.kind, principal.deviceId, c)), rejectionTopic(principal.deviceId)],
      );
    case 'integration':
      return ruleSpace(principal.rules);
  }
}

/**
 * Devices get an exact list of topics. A wildcard subscription always reaches beyond such a
 * finite list (e.g. `…/R1/+` would also match `state`), so only literal filters can pass.
 */
function exactSpace(publish: string[], subscribe: string[]): CompiledAcl {
  const pub = new Set(publish);
  const sub = new Set(subscribe);
  return {
    canPublish(topic) {
      const bad = invalidTopicName(topic);
      if (bad) return deny(bad);
      return pub.has(topic) ? ALLOW : deny(`publish to '${topic}' is outside the device's topic space`);
    },
    canSubscribe(filter) {
      const bad = invalidTopicFilter(filter);
      if (bad) return deny(bad);
      if (sub.has(filter)) return ALLOW;
      if (filter.includes('+') || filter.includes('#')) return deny(`wildcard subscription '${filter}' reaches beyond the device's topic space`);
      return deny(`subscription to '${filter}' is outside the device's topic space`);
    },
  };
}

function appliesTo(rule: AclRule, action: AclAction): boolean {
  return rule.action === 'both' || rule.action === action;
}

/**
 * Integrations get explicit allow/deny patterns. Publish: the topic must match an allow rule
 * and no deny rule. Subscribe: the filter's whole reach must lie inside one allow pattern
 * and must not overlap any deny pattern, so a wildcard can never smuggle denied topics in.
 */
function ruleSpace(rules: readonly AclRule[]): CompiledAcl {
  const pick = (action: AclAction, effect: AclRule['effect']) => rules.filter((r) => r.effect === effect && appliesTo(r, action)).map((r) => r.pattern);
  const pubAllow = pick('publish', 'allow');
  const pubDeny = pick('publish', 'deny');
  const subAllow = pick('subscribe', 'allow');
  const subDeny = pick('subscribe', 'deny');
  return {
    canPublish(topic) {
      const bad = invalidTopicName(topic);
      if (bad) return deny(bad);
      const denied = pubDeny.find((p) => topicMatches(p, topic));
      if (denied) return deny(`publish to '${topic}' is denied by rule '${denied}'`);
      return pubAllow.some((p) => topicMatches(p, topic)) ? ALLOW : deny(`publish to '${topic}' matches no allow rule`);
    },
    canSubscribe(filter) {
      const bad = invalidTopicFilter(filter);
      if (bad) return deny(bad);
      const denied = subDeny.find((p) => filtersIntersect(p, filter));
      if (denied) return deny(`subscription '${filter}' overlaps deny rule '${denied}'`);
      return subAllow.some((p) => filterCovers(p, filter)) ? ALLOW : deny(`subscription '${filter}' is not inside any allow rule`);
    },
  };
}

/** Validates an integration's rule list at registration time; returns the first problem. */
export function invalidAclRules(rules: readonly AclRule[]): { index: number; message: string } | null {
  for (let i = 0; i < rules.length; i++) {
    const bad = invalidTopicFilter(rules[i]!.pattern);
    if (bad) return { index: i, message: bad };
  }
  return null;
}
