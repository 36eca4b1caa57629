export * from './verify';
export * from './dedupe';
export * from './express';
