/** The catalog: the templates shipped with Berth, as code (docs/apps.md, "Catalog"). */
import type { App, AppSummary } from '@berth/shared';
import { kafkaTemplate } from './kafka';
import { mariadbTemplate } from './mariadb';
import { redisTemplate } from './redis';
import type { AppTemplate, TemplateVersion } from './template';
import { zookeeperTemplate } from './zookeeper';

export const templates: readonly AppTemplate[] = [
  kafkaTemplate,
  mariadbTemplate,
  redisTemplate,
  zookeeperTemplate,
];

export function findTemplate(name: string): AppTemplate | undefined {
  return templates.find((t) => t.name === name);
}

export function findVersion(t: AppTemplate, version: string): TemplateVersion | undefined {
  return t.versions.find((v) => v.version === version);
}

/** The catalog entry as the API shows it (the builders left out). */
export function appView(t: AppTemplate): App {
  return {
    name: t.name,
    title: t.title,
    description: t.description,
    latest: t.latest,
    versions: t.versions.map(
      ({ objects: _objects, memberRole: _memberRole, backup: _backup, generated: _generated, ...v }) => v,
    ),
  };
}

export function appSummary(t: AppTemplate): AppSummary {
  return {
    name: t.name,
    title: t.title,
    description: t.description,
    latest: t.latest,
    versions: t.versions.map((v) => v.version),
  };
}
