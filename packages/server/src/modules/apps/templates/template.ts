/**
 * What a shipped app template is in code: the catalog entry the API shows (AppVersion) plus how
 * one instance's objects are made from its name, parameters and generated secrets.
 */
import type { App, AppParamValue, AppVersion, ServiceSpecInput } from '@berth/shared';
import type { BackupHook } from './backup';

/** What a template builds an instance from. */
export interface InstanceInput {
  name: string;
  params: Record<string, AppParamValue>;
  /** The generated secrets by name (AppVersion.creates.secrets); "password" is the one shown. */
  secrets: Record<string, string>;
  /** The image from the platform's configuration, for a version with `imageSetting` (Kafka). */
  image?: string;
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

/**
 * A config file set of an instance (docs/configs.md), made through the configs module so a
 * developer tunes the server like any config; the services mount it.
 */
export interface InstanceConfig {
  name: string;
  description: string;
  /** The files of its first version, by path. */
  files: Record<string, string>;
}

export interface InstanceObjects {
  volumes: InstanceVolume[];
  services: InstanceService[];
  /** Absent: none. */
  configs?: InstanceConfig[];
}

export interface TemplateVersion extends AppVersion {
  /**
   * The objects of one instance. Called again with the same params and new secrets when the
   * password rotates: the services' specs it returns become their next releases.
   */
  objects: (input: InstanceInput) => InstanceObjects;
  /**
   * Values generated once at install and kept sealed with the secrets, never shown (Kafka's
   * cluster id); `objects` finds them in `secrets`.
   */
  generated?: Record<string, () => string>;
  /**
   * Upgrades (apps-upgrade.ts): the role a member plays, asked through its published client port
   * (ZooKeeper's srvr: leader, follower, standalone), or null when it is not serving. A member
   * whose role is 'leader' rolls last, and a rolled member is done only once it has a role again.
   * Absent: a member is done when its service is ready.
   */
  memberRole?: (address: { host: string; port: number }) => Promise<string | null>;
  /**
   * Backups (apps-backups.ts, docs/apps.md "Backups"): how a file of the instance's data is made
   * and put back. Absent: the shipped hook of the app in backup.ts (`shippedBackups`), else none.
   */
  backup?: BackupHook;
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
