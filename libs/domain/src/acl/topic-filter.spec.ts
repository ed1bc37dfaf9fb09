import { describe, expect, it } from '@jest/globals';
import { filterCovers, filtersIntersect, invalidTopicFilter, invalidTopicName, topicMatches } from './topic-filter.js';

describe('topic names and filters', () => {
  it.each([
    ['', 'topic name is empty'],
    ['a/+/b', 'topic name contains a wildcard'],
    ['a/#', 'topic name contains a wildcard'],
    ['a\u0000b', 'topic name contains U+0000'],
  ])('rejects topic name %j', (topic, reason) => {
    expect(invalidTopicName(topic)).toBe(reason);
  });

  it('accepts ordinary names, including empty levels', () => {
    expect(invalidTopicName('a//b/')).toBeNull();
  });

  it.each(['a/#/b', 'a/b#', 'a+/b', '+a', ''])('rejects malformed filter %j', (f) => {
    expect(invalidTopicFilter(f)).not.toBeNull();
  });

  it.each(['#', '+', 'a/+/c', 'a/#', '+/+/#'])('accepts filter %j', (f) => {
    expect(invalidTopicFilter(f)).toBeNull();
  });
});

describe('topicMatches', () => {
  it.each([
    ['a/b/c', 'a/b/c', true],
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/d', false],
    ['a/#', 'a', true], // '#' also matches the parent level (MQTT-4.7.1-2)
    ['a/#', 'a/b/c', true],
    ['a/+', 'a/b/c', false],
    ['+/+', 'a/b', true],
    ['#', '$SYS/x', false],
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

describe('filterCovers', () => {
  it.each([
    ['a/#', 'a/b/+', true],
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/+/c', true],
    ['a/b/c', 'a/+/c', false],
    ['a/+', 'a/#', false],
    ['a/+/c', 'a/b/c/d', false],
    ['#', '$SYS/#', false],
    ['$SYS/#', '$SYS/a', true],
  ])('%s covers %s: %s', (outer, inner, expected) => {
    expect(filterCovers(outer, inner)).toBe(expected);
  });
});

describe('filtersIntersect', () => {
  it.each([
    ['a/+/c', 'a/b/+', true],
    ['a/b', 'a/c', false],
    ['a/#', 'a', true],
    ['a/+', 'a/b/c', false],
    ['#', 'x/y', true],
  ])('%s ∩ %s: %s', (a, b, expected) => {
    expect(filtersIntersect(a, b)).toBe(expected);
    expect(filtersIntersect(b, a)).toBe(expected);
  });
});
