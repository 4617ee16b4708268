import { spawn } from 'node:child_process';

/** Runs a tool with an argv array (never a shell); its exit code and its output, both streams. */
export function runTool(
  command: string,
  args: string[],
  timeoutMs = 30_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(
        (err as NodeJS.ErrnoException).code === 'ENOENT'
          ? new Error(`${command} is not installed (scripts/setup-host.sh installs it)`)
          : err,
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The tool's words without its progress lines ("Checking …", "FAILED:", "SUCCESS: …"). */
function toolMessage(output: string): string {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Checking /.test(l) && l !== 'FAILED:' && !/^SUCCESS/.test(l))
    .join('\n');
}

export type ToolCheck = { ok: true } | { ok: false; message: string };

async function check(command: string, args: string[], what: string): Promise<ToolCheck> {
  const { code, output } = await runTool(command, args);
  if (code === 0) return { ok: true };
  return { ok: false, message: toolMessage(output) || `${what} failed (exit code ${code})` };
}

/** `promtool check rules FILE`: ok, or promtool's message (only its first error). */
export function checkRulesFile(file: string): Promise<ToolCheck> {
  return check('promtool', ['check', 'rules', file], `promtool check rules ${file}`);
}

/** `promtool check config FILE` (checks the rule files it names too). */
export function checkPrometheusConfig(file: string): Promise<ToolCheck> {
  return check('promtool', ['check', 'config', file], `promtool check config ${file}`);
}

/** `amtool check-config FILE`. */
export function checkAlertmanagerConfig(file: string): Promise<ToolCheck> {
  return check('amtool', ['check-config', file], `amtool check-config ${file}`);
}
