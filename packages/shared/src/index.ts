export * from './errors';
export * from './names';
export * from './roles';
export * from './service-spec';
export * from './resources';
export * from './gateway';
export * from './registry';
export * from './codeflow';
