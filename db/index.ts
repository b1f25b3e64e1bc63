// Public API of the database layer.
export * from './connection.js';
export * from './schema.js';
export * from './healing-events.js';
export * from './health-checks.js';
export * from './healing-patterns.js';
export * from './heal-watches.js';
export * from './joined-occurrences.js';
export * from './llm-calls.js';
export * from './retention.js';
