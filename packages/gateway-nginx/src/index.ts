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
export { routeMetricKey, latencyBuckets, luaString, metricsListenProblem } from './metrics-renderer';
export {
  renderDynamicUpstreams,
  dynamicMainConfig,
  balancerUpstream,
  type DynamicLayout,
  endpointSetOf,
  endpointsText,
  endpointsLua,
  controlSocketPath,
  luaModuleLines,
  endpointsFile,
  endpointsJournal,
  controlDir,
  withControlSocket,
  type DynamicUpstreamsOptions,
  type EndpointSet,
  type EndpointDelta,
  endpointDelta,
  mergeDeltas,
  applyDelta,
  poolOf,
  setBytes,
  setJson,
  samePool,
} from './dynamic-upstreams';
export {
  EndpointsClient,
  prepareNodeDirs,
  writeEndpointsFile,
  writeEndpointsAhead,
  readEndpointsSet,
  removeStaleSocket,
  deliverEndpoints,
  type ControlAnswer,
  type Delivery,
} from './endpoints-control';
export * from './stream-renderer';
export * from './keepalived';
export * from './agent-keepalived';
