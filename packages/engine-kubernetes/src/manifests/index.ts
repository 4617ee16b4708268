/** The Kubernetes objects Berth applies, as plain JSON (docs/kubernetes-objects.md). */
export { kubeKeys, managedByBerth, ownershipLabels, ownershipSelector, type Ownership } from './common';
export { namespaceObjects, namespaceObjectNames, namespaceLabels } from './namespace';
export {
  appContainerName,
  configFileKey,
  ianaPortName,
  podSecurityLevel,
  podTemplate,
  userLabels,
  workloadLabels,
  workloadSelector,
} from './pod';
export { oneOffGraceSeconds, oneOffPlace, oneOffPod, oneOffSecret, type OneOffOwner } from './one-off';
export {
  canaryMark,
  canaryObjects,
  mountObjects,
  revisionHistoryLimit,
  serviceDeploymentSelector,
  servicePortNames,
  workloadObjects,
} from './workload';
export { manifestsYaml } from './yaml';
