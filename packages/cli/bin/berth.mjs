#!/usr/bin/env node
// The `berth` command: loads the TypeScript sources through tsx (no build step, ADR 0002).
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/main.ts');

// A closed pipe (`berth logs web | head`) ends the command quietly.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
// Whatever happens, leave the terminal as we found it (exec -t puts it in raw mode).
process.on('exit', () => {
  if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false);
});

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
// Exit once stdout is flushed, even if a keep-alive socket or stdin would hold the loop open.
process.stdout.write('', () => process.exit(code));
