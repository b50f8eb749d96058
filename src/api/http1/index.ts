export { Http1Server } from './server.js';
export type { Http1ServerOptions, Http1Transport } from './server.js';
export type { Http1Handler } from './connection.js';
export { Http1Exchange } from './exchange.js';
export { RequestParser } from './parser.js';
export type { BodyFraming, ParseEvent, ParserLimits, RequestHead } from './parser.js';
export { Http1AnswerError, Http1ParseError, Http1ServerError } from './errors.js';
