export * from './types';
export * from './bin';
export * from './codec';
