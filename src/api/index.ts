export { createPlacementServer } from './server.js';
export type { PlacementServer, PlacementServerOptions } from './server.js';
export { NoAuth, StaticTokenAuth } from './auth.js';
export type { Authenticator, StaticToken } from './auth.js';
export type { Caller } from './context.js';
export { MAX_VERSION, MIN_VERSION, Microversion } from './microversion.js';
export type { CandidateOptions } from './handlers/allocation-candidates.js';
