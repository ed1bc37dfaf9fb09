// VDA 5050 2.x contracts: message types, topics, schema validation, MedLoop extensions.
export * from './vda5050.types.js';
export * from './vda5050.topics.js';
export * from './vda5050.validator.js';
export * from './vda5050.leniency.js';
export * from './vda5050.dialect.js';
export * from './vda5050.state.js';
export * from './medloop-compartments.js';
