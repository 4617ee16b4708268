/** How the CLI shows pipelines and builds: table columns and detail fields. */
import type { Build, Pipeline } from '@berth/shared';
import { formatAge, formatTime, renderFields, type Column } from '../output';

export const pipelineColumns: Column<Pipeline>[] = [
  { header: 'NAME', value: (p) => p.name },
  { header: 'TARGET', value: (p) => `${p.target.env}/${p.target.service}` },
  { header: 'REPO', value: (p) => p.repo.url },
  { header: 'REF', value: (p) => p.repo.ref },
  { header: 'TEMPLATE', value: (p) => p.template },
  { header: 'AGE', value: (p) => formatAge(p.createdAt) },
];

export const buildColumns: Column<Build>[] = [
  { header: '#', value: (b) => String(b.number), align: 'right' },
  { header: 'ID', value: (b) => b.id },
  { header: 'STATE', value: (b) => b.state },
  { header: 'REF', value: (b) => b.ref },
  { header: 'COMMIT', value: (b) => b.commit?.sha.slice(0, 8) ?? '' },
  { header: 'TRIGGER', value: (b) => `${b.trigger.source ?? b.trigger.kind} (${b.trigger.by})` },
  { header: 'AGE', value: (b) => formatAge(b.createdAt) },
];

export function renderPipeline(p: Pipeline): string {
  return renderFields([
    ['name', p.name],
    ['project', p.project],
    ['target', `${p.target.env}/${p.target.service}`],
    ['repo', `${p.repo.url} (${p.repo.ref})`],
    ['credentials', `${p.repo.credentials.kind}${p.repo.credentials.isSet ? ' (set)' : ''}`],
    ['template', p.template],
    ['artifact', p.artifactPath],
    ['start', p.startCommand],
    ['port', String(p.port)],
    ['timeout', `${p.timeoutSeconds} s`],
    [
      'webhook',
      `${p.webhook.url}${p.webhook.secretIsSet ? '' : ' (no secret yet: berth pipelines webhook-secret)'}`,
    ],
    ['version', String(p.version)],
    ['updated', `${formatTime(p.updatedAt)} by ${p.updatedBy}`],
  ]);
}

export function renderBuild(b: Build): string {
  const steps = b.steps
    .map(
      (s) =>
        `${s.name}=${s.state}${s.durationMs !== null ? `(${(s.durationMs / 1000).toFixed(1)}s${s.cached ? ', cached' : ''})` : ''}`,
    )
    .join(' ');
  return renderFields([
    ['build', `#${b.number} of ${b.pipeline} (${b.id})`],
    ['state', b.state],
    ['trigger', `${b.trigger.source ?? b.trigger.kind} by ${b.trigger.by}`],
    ['ref', b.ref],
    ['commit', b.commit ? `${b.commit.sha.slice(0, 12)} ${b.commit.author}: ${b.commit.message}` : null],
    ['steps', steps],
    ['image', b.image],
    ['digest', b.imageDigest],
    ['error', b.error],
    ['task', b.taskId],
    ['created', formatTime(b.createdAt)],
    ['finished', formatTime(b.finishedAt)],
  ]);
}
