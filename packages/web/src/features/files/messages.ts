/**
 * Strings of a container's file browser and its collected log files (docs/file-logs.md).
 * Spread into the dictionary in i18n/en.ts; the Chinese ones are in messages.zh.ts.
 */
export const filesEn = {
  'files.button': 'Files',
  'files.button.help':
    "Browse this container's files, view, tail or follow a log file, download — works on images without a shell (on Kubernetes the image needs tar, as kubectl cp does)",
  'files.title': 'Files of {name}',
  'files.tab.browse': 'Files',
  'files.tab.collected': 'Collected logs',
  'files.back': 'Back to the service',
  'files.path': 'Path',
  'files.go': 'Open',
  'files.name': 'Name',
  'files.size': 'Size',
  'files.mode': 'Mode',
  'files.modified': 'Modified',
  'files.empty': 'Empty directory',
  'files.truncated': 'The directory has more entries than one listing shows.',
  'files.view': 'View',
  'files.tail': 'Tail',
  'files.follow': 'Follow',
  'files.stop': 'Stop',
  'files.download': 'Download',
  'files.downloadTar': 'Download as tar',
  'files.following': 'Following {path}',
  'files.rotated': '— the file was rotated or truncated; reading it from the start —',
  'files.missing': '— the file is gone; waiting for it to come back —',
  'files.ended': 'The follow ended: {reason}',
  'files.pick': 'Pick a file to view, tail or follow it.',
  'files.gone': 'This container is gone; its collected log files remain.',
  'files.collected.none':
    'No log files were collected from this container. A service collects the files its spec.logFiles names.',
  'files.collected.file': 'File',
  'files.collected.from': 'Path in the container',
  'files.collected.help':
    'Copies Berth made of the files named in spec.logFiles, checked every 2 s; kept after the container is gone. Files ending in .1, .2 … are older parts (rotated by size).',
  'files.collectedLink': 'Collected logs',
} as const;
