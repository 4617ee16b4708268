/**
 * The Simplified Chinese strings of moves-messages.ts, in a file of their own: only the Chinese
 * dictionary (i18n/zh-CN.ts, loaded when the portal shows Chinese) imports them.
 */
import type { movesEn } from './moves-messages';

export const movesZh: Record<keyof typeof movesEn, string> = {
  'clusters.moves.title': '正在进行的迁移',
  'clusters.moves.intro':
    '副本尚未到达 Berth 所定位置的服务：故障迁移、排空或部署位置变更之后，以及副本迁回已恢复的集群期间。每隔几秒刷新。',
  'clusters.moves.empty': '没有正在迁移的副本。',
  'clusters.moves.emptyFiltered': '所选项目、环境或集群中没有正在迁移的副本。',
  'clusters.moves.filter.project': '全部项目',
  'clusters.moves.filter.projectLabel': '项目',
  'clusters.moves.filter.env': '全部环境',
  'clusters.moves.filter.envLabel': '环境',
  'clusters.moves.filter.cluster': '全部集群',
  'clusters.moves.filter.clusterLabel': '集群（目标、运行中或已故障迁移）',
  'clusters.moves.col.service': '服务',
  'clusters.moves.col.env': '环境',
  'clusters.moves.col.clusters': '各集群副本（当前 → 目标）',
  'clusters.moves.col.failedOver': '已故障迁移',
  'clusters.moves.col.unplaced': '无法放置',
  'clusters.moves.col.notes': '说明',
  'clusters.moves.col.since': '开始迁移',
  'clusters.moves.failedOver.tip':
    '集群 {cluster} 不可达已超过故障迁移宽限期：在其恢复前，它的副本运行在其他集群上。',
  'clusters.moves.cluster.tip': '集群 {cluster}：当前运行 {current} 个副本，目标 {target} 个。',
  'clusters.moves.unplaced.value': '{count} 个副本无处可放',
  'clusters.moves.none': '—',
  'clusters.moves.colon': '：',
};
