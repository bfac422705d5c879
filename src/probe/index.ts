export * from './probeType';
export * from './probeManager';
