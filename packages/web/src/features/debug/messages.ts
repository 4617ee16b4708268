/**
 * Strings of the debug containers (the "Debug" button of the containers tab and its shell
 * window). Spread into the dictionary in i18n/en.ts; the Chinese ones are in messages.zh.ts.
 */
export const debugEn = {
  'debug.button': 'Debug',
  'debug.button.help':
    "A shell in a tool container that shares this container's processes and network (curl, dig, ip, ss, tcpdump, strace, ps), for images without a shell. Removed when the shell ends; on Kubernetes it is an ephemeral container of the pod, stopped then and kept in the pod.",
  'debug.title': 'Debug container beside {name}',
  'debug.starting': 'Starting a debug container (the first one on a cluster builds the toolbox image)…',
  'debug.connected':
    'Debug container {debug} ({image}) beside {name}, as {user}. ps shows its processes, 127.0.0.1 reaches its ports, /proc/<pid>/root its files. Removed when this shell ends, at the latest {expires}.',
  'debug.connected.kubernetes':
    'Ephemeral container {debug} ({image}) in pod {pod}, beside its app container, as {user}. ps shows its processes, 127.0.0.1 reaches its ports, /proc/1/root its files. Kubernetes cannot remove an ephemeral container: when this shell ends (at the latest {expires}) its process is killed, and it stays in the pod, terminated, until the pod is replaced.',
  'debug.startFailed': 'The debug container could not be started: {error}',
  'debug.defaultUser': "the container's own user",
  'debug.image.placeholder': 'Image (default: the toolbox)',
  'debug.image.start': 'Start',
  'debug.image.help':
    "Another image for the debug container (it needs sleep and /bin/sh), admitted like a service's image. Start replaces the current debug container.",
} as const;
