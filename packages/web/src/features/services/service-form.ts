import type { ServiceSpecInput } from '@berth/shared';

/** The create form's values, as the user typed them. */
export interface ServiceFormValues {
  name: string;
  image: string;
  replicas: number;
  port?: number | null;
  command?: string;
  args?: string;
  env?: Array<{ name?: string; value?: string; secret?: boolean }>;
  cpu?: number | null;
  memoryMiB?: number | null;
  readinessType: 'default' | 'http' | 'tcp';
  readinessPath?: string;
}

export type FieldName = keyof ServiceFormValues | ['env', number, 'name' | 'value'];

/** One argument per line; blank lines are dropped, everything else is kept verbatim. */
export function splitLines(text: string | undefined): string[] | undefined {
  const lines = (text ?? '')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
  return lines.length ? lines : undefined;
}

/** Maps the form to the API's create request; the API validates it and names bad fields. */
export function toCreateRequest(v: ServiceFormValues): { name: string; spec: ServiceSpecInput } {
  const port = v.port ?? undefined;
  const spec: ServiceSpecInput = {
    image: v.image.trim(),
    replicas: v.replicas,
    command: splitLines(v.command),
    args: splitLines(v.args),
    env: (v.env ?? [])
      .filter((e) => e.name)
      .map((e) => ({ name: e.name ?? '', value: e.value ?? '', secret: Boolean(e.secret) })),
    ports: port ? [{ containerPort: port }] : [],
    resources: {
      ...(v.cpu ? { cpu: v.cpu } : {}),
      ...(v.memoryMiB ? { memoryMiB: v.memoryMiB } : {}),
    },
  };
  if (v.readinessType === 'http') spec.readiness = { type: 'http', path: v.readinessPath || '/' };
  if (v.readinessType === 'tcp') spec.readiness = { type: 'tcp' };
  return { name: v.name.trim(), spec };
}

/**
 * The form field an API error path (`spec.env.1.value`) belongs to, or null when the form has no
 * such field (the error is then shown above the form).
 */
export function fieldFor(path: string): FieldName | null {
  const parts = path.split('.');
  if (parts[0] === 'name') return 'name';
  if (parts[0] !== 'spec') return null;
  const [, first, second, third] = parts;
  switch (first) {
    case 'image':
    case 'replicas':
    case 'command':
    case 'args':
      return first;
    case 'ports':
      return 'port';
    case 'resources':
      return second === 'cpu' ? 'cpu' : second === 'memoryMiB' ? 'memoryMiB' : null;
    case 'readiness':
      return second === 'path' ? 'readinessPath' : 'readinessType';
    case 'env': {
      const index = Number(second);
      if (!Number.isInteger(index)) return null;
      return ['env', index, third === 'value' ? 'value' : 'name'];
    }
    default:
      return null;
  }
}
