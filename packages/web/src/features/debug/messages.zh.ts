/**
 * The Simplified Chinese strings of messages.ts, in a file of their own: only the Chinese
 * dictionary (i18n/zh-CN.ts, loaded when the portal shows Chinese) needs them.
 */
import type { debugEn } from './messages';

export const debugZh: Record<keyof typeof debugEn, string> = {
  'debug.button': '调试',
  'debug.button.help':
    '在一个与该容器共享进程和网络的工具容器中打开终端（curl、dig、ip、ss、tcpdump、strace、ps），用于没有 shell 的镜像。终端结束时自动删除；在 Kubernetes 上它是容器组的临时容器，终端结束时停止并保留在容器组中。',
  'debug.title': '{name} 的调试容器',
  'debug.starting': '正在启动调试容器（每个集群第一次使用时会构建工具镜像）…',
  'debug.connected':
    '调试容器 {debug}（{image}）位于 {name} 旁，以 {user} 运行。ps 可看到其进程，127.0.0.1 可访问其端口，/proc/<pid>/root 可查看其文件。终端结束时删除，最迟于 {expires}。',
  'debug.connected.kubernetes':
    '临时容器 {debug}（{image}）位于容器组 {pod} 中，在其应用容器旁，以 {user} 运行。ps 可看到其进程，127.0.0.1 可访问其端口，/proc/1/root 可查看其文件。Kubernetes 无法删除临时容器：终端结束时（最迟于 {expires}）其进程被终止，它以已终止状态留在容器组中，直到容器组被替换。',
  'debug.startFailed': '无法启动调试容器：{error}',
  'debug.defaultUser': '容器自身的用户',
  'debug.image.placeholder': '镜像（默认：工具箱）',
  'debug.image.start': '启动',
  'debug.image.help':
    '调试容器使用的其他镜像（需要 sleep 和 /bin/sh），与服务镜像同样受准入检查。启动会替换当前的调试容器。',
};
