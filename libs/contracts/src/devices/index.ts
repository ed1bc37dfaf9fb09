// v1 device protocol for cabinets and ward sensors: header, payload schemas, topics, parser,
// sequence tracking. The narrative version (topics, QoS, examples, versioning) is PROTOCOL.md.
export * from './device.header.js';
export * from './device.status.js';
export * from './sensor.messages.js';
export * from './cabinet.messages.js';
export * from './device.commands.js';
export * from './device.topics.js';
export * from './device.parser.js';
export * from './sequence-tracker.js';
export * from './device.samples.js';
