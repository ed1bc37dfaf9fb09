/**
 * VDA 5050 topic layout: `{interfaceName}/{majorVersion}/{manufacturer}/{serialNumber}/{topic}`
 * and the delivery rules (direction, QoS, retain) per topic. The broker's ACL, the control
 * plane's MQTT handlers and the robot simulator all build and parse topics here, so a
 * malformed level is refused in one place instead of silently matching nothing.
 */
import type { VdaMessageByTopic, VdaVersion } from './vda5050.types.js';

export type VdaTopicName = keyof VdaMessageByTopic;
export type VdaDirection = 'controllerToRobot' | 'robotToController';

export interface VdaTopicRule {
  direction: VdaDirection;
  qos: 0 | 1;
  retain: boolean;
  /** First version in which the robot publishes/receives this topic. */
  since: VdaVersion;
}

export const VDA_TOPICS: Readonly<Record<VdaTopicName, VdaTopicRule>> = {
  order: { direction: 'controllerToRobot', qos: 0, retain: false, since: '2.0.0' },
  instantActions: { direction: 'controllerToRobot', qos: 0, retain: false, since: '2.0.0' },
  state: { direction: 'robotToController', qos: 0, retain: false, since: '2.0.0' },
  visualization: { direction: 'robotToController', qos: 0, retain: false, since: '2.0.0' },
  // Also the robot's last will (CONNECTIONBROKEN), which the broker publishes for it.
  connection: { direction: 'robotToController', qos: 1, retain: true, since: '2.0.0' },
  // Retained so a controller that (re)starts learns capabilities without asking (2.1 asks for
  // it; 2.0 already has the topic and its schema, without saying retained).
  factsheet: { direction: 'robotToController', qos: 0, retain: true, since: '2.0.0' },
};

export const VDA_TOPIC_NAMES = Object.keys(VDA_TOPICS) as VdaTopicName[];

export const DEFAULT_INTERFACE_NAME = 'uagv';

/** The major-version level as it appears in topics, e.g. `v2`. */
export function vdaMajorVersion(version: string): string {
  const major = /^(\d+)\./.exec(version)?.[1];
  if (major === undefined) throw new RangeError(`invalid VDA 5050 version '${version}'`);
  return `v${major}`;
}

export interface VdaTopicParts {
  interfaceName: string;
  /** e.g. `v2` */
  majorVersion: string;
  manufacturer: string;
  serialNumber: string;
  topic: VdaTopicName;
}

const FORBIDDEN_IN_LEVEL = /[/+#$]/;
const SERIAL_NUMBER = /^[A-Za-z0-9_.:-]+$/;
const MAJOR_VERSION = /^v\d+$/;

/** Why a topic level is unusable, or null when it is fine. */
export function topicLevelProblem(level: 'interfaceName' | 'manufacturer' | 'serialNumber', value: string): string | null {
  if (value.length === 0) return `${level} must not be empty`;
  if (level === 'serialNumber') {
    return SERIAL_NUMBER.test(value) ? null : `serialNumber '${value}' may only contain A-Z a-z 0-9 _ . : -`;
  }
  return FORBIDDEN_IN_LEVEL.test(value) ? `${level} '${value}' must not contain / + # $` : null;
}

function assertLevel(level: 'interfaceName' | 'manufacturer' | 'serialNumber', value: string): void {
  const problem = topicLevelProblem(level, value);
  if (problem) throw new RangeError(problem);
}

/**
 * Build a topic for a robot. `interfaceName` defaults to `uagv` and the major version is v2
 * (the only major this module speaks). Throws RangeError on an invalid level.
 */
export function vdaTopic(interfaceName: string, manufacturer: string, serialNumber: string, topic: VdaTopicName): string {
  assertLevel('interfaceName', interfaceName);
  assertLevel('manufacturer', manufacturer);
  assertLevel('serialNumber', serialNumber);
  if (!(topic in VDA_TOPICS)) throw new RangeError(`unknown VDA 5050 topic '${String(topic)}'`);
  return `${interfaceName}/v2/${manufacturer}/${serialNumber}/${topic}`;
}

/** Topic filter for one topic of every robot, e.g. `uagv/v2/+/+/state`. */
export function vdaTopicFilter(interfaceName: string, topic: VdaTopicName | '+', manufacturer = '+', serialNumber = '+'): string {
  assertLevel('interfaceName', interfaceName);
  return `${interfaceName}/v2/${manufacturer}/${serialNumber}/${topic}`;
}

/** Split a concrete topic into its levels; null when it is not a valid VDA 5050 topic. */
export function parseVdaTopic(topic: string): VdaTopicParts | null {
  const levels = topic.split('/');
  if (levels.length !== 5) return null;
  const [interfaceName, majorVersion, manufacturer, serialNumber, name] = levels as [string, string, string, string, string];
  if (!MAJOR_VERSION.test(majorVersion)) return null;
  if (topicLevelProblem('interfaceName', interfaceName)) return null;
  if (topicLevelProblem('manufacturer', manufacturer)) return null;
  if (topicLevelProblem('serialNumber', serialNumber)) return null;
  if (!Object.prototype.hasOwnProperty.call(VDA_TOPICS, name)) return null;
  return { interfaceName, majorVersion, manufacturer, serialNumber, topic: name as VdaTopicName };
}
