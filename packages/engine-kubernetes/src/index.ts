/** @berth/engine-kubernetes: the only package that imports @kubernetes/client-node (docs/kubernetes.md). */
export * from './names';
