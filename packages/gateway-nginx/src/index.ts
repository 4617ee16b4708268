export * from './render-model';
export { quote } from './nginx-syntax';
export { renderMainConfig, needsOwnServer, upstreamsFileName } from './main-renderer';
export { renderUpstreams } from './upstreams-renderer';
export {
  validateConfig,
  ensurePrefix,
  LocalNginxNode,
  type RenderedConfig,
  type ValidationResult,
} from './nginx-node';
export { lineDiff } from './line-diff';
