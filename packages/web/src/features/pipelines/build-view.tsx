import { Tag, Typography } from 'antd';
import type { Build, BuildState, BuildStep, PipelineTemplate } from '@berth/shared';
import { useI18n } from '../../i18n/I18nProvider';
import './strings';

const buildColors: Record<BuildState, string> = {
  queued: 'default',
  running: 'processing',
  succeeded: 'success',
  failed: 'error',
  cancelled: 'default',
  'timed-out': 'warning',
};

const stepColors: Record<BuildStep['state'], string> = {
  pending: 'default',
  running: 'processing',
  succeeded: 'success',
  failed: 'error',
  skipped: 'default',
  cancelled: 'default',
};

export function isBuildFinished(state: BuildState): boolean {
  return state !== 'queued' && state !== 'running';
}

export function BuildStateTag({ state }: { state: BuildState }) {
  const { t } = useI18n();
  return (
    <Tag color={buildColors[state]} data-state={state} data-testid="build-state">
      {t(`builds.state.${state}`)}
    </Tag>
  );
}

export function StepStateTag({ state }: { state: BuildStep['state'] }) {
  const { t } = useI18n();
  return (
    <Tag color={stepColors[state]} data-state={state}>
      {t(`builds.stepState.${state}`)}
    </Tag>
  );
}

/** "850 ms", "12.3 s", "4 min 05 s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
}

/** A build's wall time: start to finish, or to now while it runs. */
export function buildDurationMs(build: Build, now = Date.now()): number | null {
  if (!build.startedAt) return null;
  const end = build.finishedAt ? Date.parse(build.finishedAt) : now;
  return end - Date.parse(build.startedAt);
}

export function shortSha(sha: string): string {
  return sha.slice(0, 8);
}

/** The commit of a build in one line: short sha (copyable) and the message's first line. */
export function CommitText({ build }: { build: Build }) {
  if (!build.commit) return <Typography.Text type="secondary">{build.ref}</Typography.Text>;
  const subject = build.commit.message.split('\n')[0] ?? '';
  return (
    <span>
      <Typography.Text code copyable={{ text: build.commit.sha }}>
        {shortSha(build.commit.sha)}
      </Typography.Text>{' '}
      <Typography.Text ellipsis style={{ maxWidth: 260 }} title={build.commit.message}>
        {subject}
      </Typography.Text>
    </span>
  );
}

/** A template's name; product names (Node.js, Python, Go…) are not translated. */
export function TemplateName({ template }: { template: PipelineTemplate }) {
  const { t } = useI18n();
  return <span translate="no">{t(`pipelines.template.${template}`)}</span>;
}
