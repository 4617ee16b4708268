// a kubeconfig holds a token or a client key (cluster credentials, docs/kubernetes-install.md)
const secretKeys = /pass(word)?|secret|token|credential|private.?key|authorization|kubeconfig/i;

/**
 * A copy of a request body fit for the audit log: secret-looking keys and the values of
 * env entries marked secret are replaced, long strings are cut.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[deep]';
  if (typeof value === 'string') {
    // a PEM private key (a certificate upload) is never recorded, whatever its field is called
    if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(value)) return '[redacted]';
    return value.length > 512 ? `${value.slice(0, 512)}…` : value;
  }
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const isSecretEnv = obj.secret === true && 'value' in obj;
    // an alert channel's URL holds its token (a robot's access_token or key, docs/alerts.md)
    const isChannel =
      typeof obj.kind === 'string' && /^(webhook|slack|dingtalk|feishu|wecom)$/.test(obj.kind);
    for (const [k, v] of Object.entries(obj)) {
      if (
        (secretKeys.test(k) && typeof v === 'string') ||
        (isSecretEnv && k === 'value' && v !== null) ||
        (isChannel && k === 'url')
      ) {
        out[k] = '[redacted]';
      } else out[k] = redact(v, depth + 1);
    }
    return out;
  }
  return value;
}
