/**
 * The server's FakeEngine (test/helpers/fake-engine.ts) held to the engine contract
 * (@berth/engine-api/testing), so tests on top of it see what a real engine does: labels select,
 * hostPort 0 becomes a real port, stop and remove tolerate missing containers, events stream
 * start and died, a missing image is an EngineError naming it, a down engine is UnavailableError.
 * It runs no processes, so the cases that need one are skipped (runsProcesses: false).
 */
import { runEngineContract } from '@berth/engine-api/testing';
import { FakeEngine } from './helpers/fake-engine';

runEngineContract('fake', async () => {
  const engine = new FakeEngine();
  const image = 'localhost/berth-test/busybox:contract';
  await engine.ensureImage(image);
  const unreachable = new FakeEngine();
  unreachable.down = true;
  const images = {
    make: async (name: string) => void (await engine.ensureImage(name)),
    tag: async (source: string, name: string) => engine.tag(source, name),
  };
  return { engine, image, unreachable, runsProcesses: false, images, cleanup: () => Promise.resolve() };
});
