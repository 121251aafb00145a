/** One schema per API method and per stored shape, with the JSON limits checked before any of them parses. */
export * from './limits';
export * from './parse';
export * from './primitives';
export * from './controller';
export * from './settings';
export * from './receipts';
export * from './stored';
export * from './api';
export * from './storedFiles';
export * from './engineParams';
export * from './openai';
export * from './downloads';
export * from './modelSettings';
