import { Typography } from 'antd';
import type { MessageKey } from '../../i18n/en';
import type { Translate } from '../../i18n/I18nProvider';

/** Target kinds the API records (a route's declared kind, else its first tag), in the glossary's words. */
const kindKeys: Record<string, MessageKey> = {
  session: 'audit.kind.session',
  user: 'audit.kind.user',
  users: 'audit.kind.user',
  team: 'audit.kind.team',
  teams: 'audit.kind.team',
  project: 'audit.kind.project',
  projects: 'audit.kind.project',
  binding: 'audit.kind.binding',
  bindings: 'audit.kind.binding',
  token: 'audit.kind.token',
  service: 'audit.kind.service',
  services: 'audit.kind.service',
  container: 'audit.kind.container',
  containers: 'audit.kind.container',
  gateway: 'audit.kind.gateway',
  gateways: 'audit.kind.gateway',
  'gateway-node': 'audit.kind.gatewayNode',
  route: 'audit.kind.route',
  routes: 'audit.kind.route',
  registry: 'audit.kind.registry',
  registries: 'audit.kind.registry',
  image: 'audit.kind.image',
  images: 'audit.kind.image',
  pipeline: 'audit.kind.pipeline',
  pipelines: 'audit.kind.pipeline',
  build: 'audit.kind.build',
  builds: 'audit.kind.build',
  task: 'audit.kind.task',
  tasks: 'audit.kind.task',
};

/** "Service shop/test/web": the kind in the reader's language (unknown kinds as code), then the name. */
export function AuditTarget({ t, kind, target }: { t: Translate; kind: string; target: string }) {
  const key = kindKeys[kind];
  return (
    <>
      {key ? t(key) : <Typography.Text code>{kind}</Typography.Text>} <span translate="no">{target}</span>
    </>
  );
}

/** Requests without a signed-in caller (logins) are recorded under "anonymous". */
export function actorLabel(t: Translate, actor: string): string {
  return actor === 'anonymous' ? t('audit.anonymous') : actor;
}
