/**
 * What a shipped app template is in code: the catalog entry the API shows (AppVersion) plus how
 * one instance's objects are made from its name, parameters and generated secrets.
 */
import type { App, AppParamValue, AppVersion, ServiceSpecInput } from '@berth/shared';

/** What a template builds an instance from. */
export interface InstanceInput {
  name: string;
  params: Record<string, AppParamValue>;
  /** The generated secrets by name (AppVersion.creates.secrets); "password" is the one shown. */
  secrets: Record<string, string>;
}

/** A volume of an instance, made through the volumes module. */
export interface InstanceVolume {
  name: string;
  class: string;
  sizeMiB: number;
}

/** A service of an instance, made through the services module. */
export interface InstanceService {
  name: string;
  spec: ServiceSpecInput;
}

export interface InstanceObjects {
  volumes: InstanceVolume[];
  services: InstanceService[];
}

export interface TemplateVersion extends AppVersion {
  /**
   * The objects of one instance. Called again with the same params and new secrets when the
   * password rotates: the services' specs it returns become their next releases.
   */
  objects: (input: InstanceInput) => InstanceObjects;
}

export interface AppTemplate extends Omit<App, 'versions'> {
  versions: TemplateVersion[];
}

/** Labels on every service of an instance: which app and which instance it belongs to. */
export function instanceLabels(app: string, instance: string): Record<string, string> {
  return { 'berth.app': app, 'berth.app-instance': instance };
}

/** A parameter's value as the type the template declared (resolveAppParams checked it). */
export const num = (v: AppParamValue | undefined): number => Number(v);
export const str = (v: AppParamValue | undefined): string => String(v);

/**
 * A stateful single member rolls by stopping the old container before the new one starts: two
 * servers must never write one data volume at once.
 */
export const singleWriterRollout = {
  maxSurge: 0,
  maxUnavailable: 1,
  progressDeadlineSeconds: 180,
  drainSeconds: 0,
  stopGraceSeconds: 30,
};

/** The volume parameters every template with data has. */
export const storageParameters = [
  {
    name: 'storageMiB',
    type: 'integer' as const,
    default: 1024,
    min: 64,
    max: 1048576,
    unit: 'MiB',
    description: {
      en: 'Size of the data volume',
      'zh-CN': '数据卷大小',
    },
  },
  {
    name: 'volumeClass',
    type: 'string' as const,
    default: 'local',
    pattern: '[a-z0-9]([-a-z0-9]*[a-z0-9])?',
    patternHint: 'the name of a volume class (GET /api/v1/volume-classes)',
    maxLength: 63,
    description: {
      en: 'Volume class of the data volume (a platform admin defines the classes)',
      'zh-CN': '数据卷的存储类（由平台管理员定义）',
    },
  },
];
