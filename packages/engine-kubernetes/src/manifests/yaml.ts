/**
 * Berth's objects as one multi-document YAML text: what `GET …/services/{s}/manifests` returns
 * and what `kubectl apply -f -` or `podman kube play` reads.
 */
import type { KubeObject } from '@berth/engine-api';
import { stringify } from 'yaml';

/**
 * Multi-document YAML, one document per object, in the given (apply) order. Written as YAML 1.1
 * because Kubernetes' parser (go-yaml via sigs.k8s.io/yaml) reads 1.1: a label value such as `on`,
 * `no` or `0755` is then quoted and stays a string. No line folding: base64 and long commands
 * stay on one line each. No anchors or aliases (`&a1`/`*a1` for an object used twice): operators
 * read these, and some tools do not take aliases.
 */
export function manifestsYaml(objects: KubeObject[]): string {
  return objects
    .map((o) => `---\n${stringify(o, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false })}`)
    .join('');
}
