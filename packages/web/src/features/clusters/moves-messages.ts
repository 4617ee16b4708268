/**
 * Strings of the fleet view of moves in progress (FleetMoves on the clusters page). Spread into
 * the portal's dictionaries (i18n/en.ts, i18n/zh-CN.ts); terms follow docs/glossary.md: replica
 * 副本, cluster 集群, failover 故障迁移, environment 环境, service 服务.
 */
export const movesEn = {
  'clusters.moves.title': 'Moves in progress',
  'clusters.moves.intro':
    'Services whose replicas are not yet where Berth places them: after a failover, a drain or a placement change, and while they move back to a recovered cluster. Updated every few seconds.',
  'clusters.moves.empty': 'No replicas are moving.',
  'clusters.moves.emptyFiltered': 'No replicas of the chosen project, environment or cluster are moving.',
  'clusters.moves.filter.project': 'All projects',
  'clusters.moves.filter.projectLabel': 'Project',
  'clusters.moves.filter.env': 'All environments',
  'clusters.moves.filter.envLabel': 'Environment',
  'clusters.moves.filter.cluster': 'All clusters',
  'clusters.moves.filter.clusterLabel': 'Cluster (wanted, running or failed over)',
  'clusters.moves.col.service': 'Service',
  'clusters.moves.col.env': 'Environment',
  'clusters.moves.col.clusters': 'Replicas per cluster (now → wanted)',
  'clusters.moves.col.failedOver': 'Failed over',
  'clusters.moves.col.unplaced': 'Unplaced',
  'clusters.moves.col.notes': 'Notes',
  'clusters.moves.col.since': 'Moving since',
  'clusters.moves.failedOver.tip':
    'Cluster {cluster} has been unreachable past the failover grace: its replicas run on the other clusters until it is back.',
  'clusters.moves.cluster.tip': 'Cluster {cluster}: {current} replicas running now, {target} wanted.',
  'clusters.moves.unplaced.value': '{count} fit on no cluster',
  'clusters.moves.none': '—',
  /** Between a cluster's name and its note. */
  'clusters.moves.colon': ': ',
} as const;
