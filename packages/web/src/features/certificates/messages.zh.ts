/**
 * The Simplified Chinese strings of messages.ts, in a file of their own: only the Chinese
 * dictionary (i18n/zh-CN.ts, loaded when the portal shows Chinese) imports them.
 */
import type { certificatesEn } from './messages';

export const certificatesZh: Record<keyof typeof certificatesEn, string> = {
  'certs.title': '证书',
  'certs.help': '项目 {project} 的 TLS 证书。只有本项目的路由可以使用；私钥加密保存，上传后不再显示。',
  'certs.add': '上传证书',
  'certs.renew': '续期',
  'certs.renew.title': '续期证书 {name}',
  'certs.remove': '删除',
  'certs.remove.confirm': '删除证书 {name}？此操作无法撤销。',
  'certs.removed': '证书 {name} 已删除。',
  'certs.added': '证书已上传。',
  'certs.renewed': '证书 {name} 已续期；使用它的网关已应用新文件。',
  'certs.empty': '还没有证书。上传一个证书即可为路由提供 HTTPS。',
  'certs.col.name': '名称',
  'certs.col.sans': '证书域名',
  'certs.col.expires': '到期时间',
  'certs.col.usedBy': '使用者',
  'certs.col.issuer': '签发者',
  'certs.col.actions': '操作',
  'certs.expired': '已过期',
  'certs.daysLeft': '剩余 {n} 天',
  'certs.notCovered': '域名未覆盖',
  'certs.unused': '未使用',
  'certs.field.name': '名称',
  'certs.field.name.required': '请输入名称（小写字母、数字和 -）。',
  'certs.field.certificate': '证书链（PEM，叶证书在前）',
  'certs.field.certificate.required': '请粘贴或载入 PEM 证书。',
  'certs.field.key': '私钥（PEM，未加密）',
  'certs.field.key.required': '请粘贴或载入 PEM 私钥。',
  'certs.field.loadFile': '从文件载入',
  'certs.select.placeholder': '不使用 TLS',
  'certs.select.none': '本项目还没有证书。',
  'certs.select.manage': '管理证书',
  'certs.select.legacy': '此路由使用共享证书目录中的文件（由平台管理员设置）。选择本项目的证书即可替换。',
};
