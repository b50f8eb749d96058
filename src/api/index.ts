export { createPlacementServer } from './server.js';
export type { Durability, PlacementServer, PlacementServerOptions } from './server.js';
export { NoAuth, StaticTokenAuth } from './auth.js';
export type { Authenticator, StaticToken } from './auth.js';
export type { Caller } from './context.js';
export { MAX_VERSION, MIN_VERSION, Microversion } from './microversion.js';
export type { CandidateOptions } from './handlers/allocation-candidates.js';
export { Http1AnswerError, Http1ParseError, Http1Server, Http1ServerError } from './http1/index.js';
export type { Http1ServerOptions } from './http1/index.js';
