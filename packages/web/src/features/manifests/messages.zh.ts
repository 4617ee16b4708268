/**
 * The Simplified Chinese strings of messages.ts, in a file of their own: only the Chinese
 * dictionary (i18n/zh-CN.ts, loaded when the portal shows Chinese) imports them.
 */
import type { manifestsEn } from './messages';

export const manifestsZh: Record<keyof typeof manifestsEn, string> = {
  'detail.tab.manifests': '资源清单',
  'manifests.intro':
    'Berth 为此服务的当前版本提交给 Kubernetes 集群的资源对象，与它实际发送的内容完全一致（服务端应用）。密钥的值已隐去。',
  'manifests.cluster': 'Kubernetes 集群',
  'manifests.cluster.otherEnv': '（不是此环境的集群）',
  'manifests.namespace': '命名空间',
  'manifests.objects': '资源对象（{count} 个）',
  'manifests.col.kind': '类型',
  'manifests.col.name': '名称',
  'manifests.col.apiVersion': 'API 版本',
  'manifests.yaml': 'YAML',
  'manifests.copy': '复制',
  'manifests.copied': 'YAML 已复制到剪贴板。',
  'manifests.copy.failed': '浏览器不允许复制；请选中文本后手动复制。',
  'manifests.download': '下载',
  'manifests.empty':
    '当服务部署到 Kubernetes 集群时，Berth 会提交这些资源对象。目前还没有登记任何 Kubernetes 集群。',
  'manifests.empty.admin': '可在集群页面添加。',
  'manifests.refused': 'Berth 无法显示 {cluster} 上的资源对象',
};
