/**
 * The builder images templates build in. busybox and node come from the host (runtime-notes §4);
 * the node builder adds the host's npm; Python, Maven and Go builders are built from the Debian
 * minbase image the first time a pipeline of that template builds.
 */
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContainerEngine } from '@berth/engine-api';
import { BerthError, type PipelineTemplate } from '@berth/shared';
import { buildDir, freshDir } from './build-context';
import {
  debianBaseImage,
  debianBuilderDockerfile,
  nodeBuilderDockerfile,
  templateBaseImage,
} from './dockerfiles';
import { runProcess } from './process-runner';

const nodeRuntimeImage = 'localhost/berth-node:20';
const hostNpm = '/usr/lib/node_modules/npm';
const scriptsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../scripts');

type Log = (line: string) => Promise<void> | void;

/** Makes sure the template's builder image exists; returns its name. */
export async function ensureBuilderImage(
  engine: ContainerEngine,
  template: Exclude<PipelineTemplate, 'dockerfile'>,
  scratch: string,
  log: Log,
  signal?: AbortSignal,
): Promise<string> {
  const image = templateBaseImage[template];
  if (await engine.inspectImage(image)) return image;
  const dir = freshDir(path.join(scratch, `builder-${template}`));
  if (template === 'node') {
    if (!(await engine.inspectImage(nodeRuntimeImage)) || !existsSync(hostNpm))
      throw missing(image, `${nodeRuntimeImage} and the host's npm (${hostNpm})`, 'scripts/test-images.sh');
    await log(`building the node builder image ${image} (once)`);
    cpSync(hostNpm, path.join(dir, 'npm'), { recursive: true, dereference: true });
    writeFileSync(
      path.join(dir, 'npm.sh'),
      '#!/bin/sh\nexec node /usr/lib/node_modules/npm/bin/npm-cli.js "$@"\n',
      {
        mode: 0o755,
      },
    );
    writeFileSync(
      path.join(dir, 'npx.sh'),
      '#!/bin/sh\nexec node /usr/lib/node_modules/npm/bin/npx-cli.js "$@"\n',
      {
        mode: 0o755,
      },
    );
    writeFileSync(path.join(dir, 'Dockerfile'), nodeBuilderDockerfile(nodeRuntimeImage));
  } else if (template === 'python' || template === 'java-maven' || template === 'go') {
    if (!(await engine.inspectImage(debianBaseImage))) {
      await log(`creating ${debianBaseImage} with debootstrap (once, about a minute)`);
      await runProcess('bash', [path.join(scriptsDir, 'builder-base.sh')], {
        signal,
        onLine: (l) => void log(l),
      });
    }
    await log(`building the ${template} builder image ${image} (once)`);
    writeFileSync(path.join(dir, 'Dockerfile'), debianBuilderDockerfile(template));
  } else {
    throw missing(image, image, 'scripts/test-images.sh');
  }
  await buildDir(engine, dir, { tag: image, signal }, log);
  freshDir(dir);
  return image;
}

function missing(image: string, what: string, fix: string): BerthError {
  return new BerthError(
    'UNPROCESSABLE',
    `The builder image ${image} needs ${what}; run ${fix} on the host.`,
    {
      image,
    },
  );
}
