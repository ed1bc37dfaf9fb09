/**
 * MQTT 3.1.1 topic-name and topic-filter algebra (section 4.7), pure and allocation-light:
 * matching a name against a filter, and the two set relations the ACL needs — whether one
 * filter's matches are a subset of another's, and whether two filters can match a common topic.
 */

/** Why a topic name is not acceptable in PUBLISH, or null when it is. */
export function invalidTopicName(topic: string): string | null {
  if (topic.length === 0) return 'topic name is empty';
  if (topic.includes('+') || topic.includes('#')) return 'topic name contains a wildcard';
  if (topic.includes('\u0000')) return 'topic name contains U+0000';
  return null;
}

/** Why a subscription filter is malformed, or null when it is well formed. */
export function invalidTopicFilter(filter: string): string | null {
  if (filter.length === 0) return 'topic filter is empty';
  if (filter.includes('\u0000')) return 'topic filter contains U+0000';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return "'#' must occupy a whole level and be the last one";
    }
    if (level.includes('+') && level !== '+') return "'+' must occupy a whole level";
  }
  return null;
}

/** Does `topic` (a name, no wildcards) match `filter`? `$`-topics never match a leading wildcard. */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Is every topic matched by `inner` also matched by `outer`? Used to decide whether a
 * subscription stays inside a granted space: a wildcard in `inner` is only covered by a
 * wildcard of at least the same reach in `outer`.
 */
export function filterCovers(outer: string, inner: string): boolean {
  // a grant that starts with a wildcard never reaches $-topics (MQTT-4.7.2-1)
  if (inner.startsWith('$') && (outer.startsWith('+') || outer.startsWith('#'))) return false;
  const o = outer.split('/');
  const n = inner.split('/');
  for (let i = 0; i < o.length; i++) {
    const ol = o[i];
    if (ol === '#') return true;
    if (i >= n.length) return false;
    const nl = n[i];
    if (nl === '#') return false;
    if (ol === '+') continue;
    if (nl === '+' || nl !== ol) return false;
  }
  return o.length === n.length;
}

/** Can some topic be matched by both filters? Used for deny rules: any overlap is denied. */
export function filtersIntersect(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const xl = x[i];
    const yl = y[i];
    if (xl === '#' || yl === '#') return true;
    if (xl === undefined || yl === undefined) return false;
    if (xl === '+' || yl === '+') continue;
    if (xl !== yl) return false;
  }
  return true;
}
