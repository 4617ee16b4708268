/** @berth/engine-kubernetes: the only package that imports @kubernetes/client-node (docs/kubernetes.md). */
export * from './names';
export * from './kubeconfig-check';
export * from './install';
export * from './manifests/index';
export * from './kubernetes-engine';
