/**
 * Strings of the tenancy pages (domain zones, allowed networks) and the route list's rule flags.
 * Spread into the portal's dictionaries (i18n/en.ts, i18n/zh-CN.ts); terms: zone 域名区域,
 * allowed network 允许的网络, owner 所有者.
 */
export const tenancyEn = {
  'admin.tab.domains': 'Domains',
  'admin.tab.networks': 'Allowed networks',
  'tenancy.owner': 'Owner',
  'tenancy.owner.kind': 'Owner type',
  'tenancy.owner.team': 'Team',
  'tenancy.owner.project': 'Project',
  'tenancy.owner.pick': 'Pick a {kind}',
  'tenancy.owner.required': 'Pick the owner.',
  'tenancy.remove': 'Remove',
  'tenancy.domains.help':
    "A route's host must lie in a zone its project or its team owns (the most specific zone decides), or be one of the project's automatic service names.",
  'tenancy.domains.add': 'Assign zone',
  'tenancy.domains.zone': 'Zone',
  'tenancy.domains.zone.placeholder': 'shop.example.com',
  'tenancy.domains.zone.required': 'Enter a DNS zone.',
  'tenancy.domains.added': 'Zone assigned.',
  'tenancy.domains.removed': 'Zone {zone} removed.',
  'tenancy.domains.remove.confirm':
    'Remove zone {zone}? Routes in it stay and are flagged until the zone is assigned again.',
  'tenancy.domains.empty': 'No zones assigned yet.',
  'tenancy.networks.help':
    "A route's VM backends must lie in a network allowed to its project or team (none by default). Loopback, link-local, metadata and Berth's own listeners are never allowed.",
  'tenancy.networks.add': 'Allow network',
  'tenancy.networks.cidr': 'Network (CIDR)',
  'tenancy.networks.cidr.placeholder': '10.20.0.0/16',
  'tenancy.networks.cidr.required': 'Enter an IPv4 CIDR.',
  'tenancy.networks.added': 'Network allowed.',
  'tenancy.networks.removed': 'Network {cidr} removed.',
  'tenancy.networks.remove.confirm':
    'Stop allowing {cidr} for {owner}? Routes with backends in it are flagged.',
  'tenancy.networks.empty': 'No networks allowed yet.',
  'tenancy.violations': 'Breaks a rule',
  'tenancy.rule.host-not-owned': 'Host not owned',
  'tenancy.rule.host-claimed': 'Host claimed',
  'tenancy.rule.backend-not-allowed': 'Backend not allowed',
} as const;
