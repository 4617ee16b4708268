/**
 * Config files of app instances (docs/apps.md, "Config files"): ordinary configs of the project
 * (docs/configs.md) that a template creates and its members mount, so a developer tunes the
 * server like any config — a new version rolls or signals the members per the mount's refresh.
 * Configs belong to the project, not to an environment: `{name}-conf` of an instance in one env
 * makes the name taken for an instance of that name in another (409 naming the config).
 */
import { BerthError, ConflictError, NotFoundError } from '@berth/shared';
import type { ConfigsService } from '../configs/configs.service';
import type { InstanceObjects } from './templates/template';

export class AppConfigs {
  constructor(private readonly configs: ConfigsService) {}

  /** 409 naming the first config of the project that has a name the instance would take. */
  async checkNames(project: string, env: string, objects: InstanceObjects): Promise<void> {
    for (const c of objects.configs ?? [])
      if (await this.configs.find(project, c.name))
        throw new ConflictError(
          `Config '${c.name}' already exists in project '${project}'; the instance would create a config of that name (configs are project-wide, env '${env}' included). Choose another instance name, or delete the config.`,
          { fields: [{ path: 'name', message: `config "${c.name}" exists` }] },
          'ALREADY_EXISTS',
        );
  }

  /** Creates the instance's configs; returns the names made (for undo). */
  async create(project: string, instance: string, objects: InstanceObjects, actor: string, made: string[]) {
    for (const c of objects.configs ?? []) {
      await this.configs.create(
        project,
        { name: c.name, description: c.description, files: c.files, reason: `app instance ${instance}` },
        actor,
      );
      made.push(c.name);
    }
  }

  /**
   * Creates the configs an instance made before its template had them (a rotation renders specs
   * that mount them); returns every config name the instance has now.
   */
  async ensure(
    project: string,
    instance: string,
    objects: InstanceObjects,
    actor: string,
  ): Promise<string[]> {
    const names: string[] = [];
    for (const c of objects.configs ?? []) {
      if (!(await this.configs.find(project, c.name)))
        await this.create(project, instance, { ...objects, configs: [c] }, actor, []);
      names.push(c.name);
    }
    return names;
  }

  /**
   * Removes the instance's configs once its services are gone. One that another service still
   * mounts (a developer reused it) is kept and reported: false means "try again later" only for
   * a config still mounted by a release of the instance's own services.
   */
  async remove(project: string, names: string[], ownServices: string[]): Promise<boolean> {
    for (const name of names) {
      try {
        await this.configs.remove(project, name);
      } catch (err) {
        if (err instanceof NotFoundError) continue;
        if (err instanceof BerthError && err.code === 'CONFIG_IN_USE') {
          const uses = (err.details?.uses as { service: string }[] | undefined) ?? [];
          if (uses.some((u) => ownServices.includes(u.service))) return false;
          continue;
        }
        throw err;
      }
    }
    return true;
  }
}
