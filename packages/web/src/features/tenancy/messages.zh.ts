/**
 * The Simplified Chinese strings of messages.ts, in a file of their own: only the Chinese
 * dictionary (i18n/zh-CN.ts, loaded when the portal shows Chinese) imports them.
 */
import type { tenancyEn } from './messages';

export const tenancyZh: Record<keyof typeof tenancyEn, string> = {
  'admin.tab.domains': '域名',
  'admin.tab.networks': '允许的网络',
  'tenancy.owner': '所有者',
  'tenancy.owner.kind': '所有者类型',
  'tenancy.owner.team': '团队',
  'tenancy.owner.project': '项目',
  'tenancy.owner.pick': '选择{kind}',
  'tenancy.owner.required': '请选择所有者。',
  'tenancy.remove': '移除',
  'tenancy.domains.help':
    '路由的主机名必须位于其项目或团队拥有的域名区域内（以最具体的区域为准），或是该项目服务的自动域名。',
  'tenancy.domains.add': '分配域名区域',
  'tenancy.domains.zone': '域名区域',
  'tenancy.domains.zone.placeholder': 'shop.example.com',
  'tenancy.domains.zone.required': '请输入 DNS 区域。',
  'tenancy.domains.added': '已分配域名区域。',
  'tenancy.domains.removed': '已移除域名区域 {zone}。',
  'tenancy.domains.remove.confirm': '移除域名区域 {zone}？其中的路由会保留并被标记，直到该区域再次被分配。',
  'tenancy.domains.empty': '尚未分配任何域名区域。',
  'tenancy.networks.help':
    '路由的虚拟机后端必须位于允许其项目或团队使用的网络内（默认没有）。回环、链路本地、元数据地址以及 Berth 自身的监听地址永远不允许。',
  'tenancy.networks.add': '允许网络',
  'tenancy.networks.cidr': '网络（CIDR）',
  'tenancy.networks.cidr.placeholder': '10.20.0.0/16',
  'tenancy.networks.cidr.required': '请输入 IPv4 CIDR。',
  'tenancy.networks.added': '已允许网络。',
  'tenancy.networks.removed': '已移除网络 {cidr}。',
  'tenancy.networks.remove.confirm': '不再允许 {owner} 使用 {cidr}？后端位于其中的路由会被标记。',
  'tenancy.networks.empty': '尚未允许任何网络。',
  'tenancy.violations': '违反规则',
  'tenancy.rule.host-not-owned': '主机名不属于本项目',
  'tenancy.rule.host-claimed': '主机名已被占用',
  'tenancy.rule.backend-not-allowed': '后端不被允许',
};
