import { WebSocket, type RawData } from 'ws';
import { errorFromResponse } from './api-client';
import type { CliIo } from './context';
import { CliError } from './errors';

/** Tells the server that local input ended, so it closes the remote process's stdin. */
const eofMessage = JSON.stringify({ type: 'eof' });

/** How a shell session is wired to the local terminal or pipes. */
export interface ShellOptions {
  /** Local TTY in raw mode, with resizes forwarded; the user ends the session. */
  tty: boolean;
  /** Send stdin to the remote process; without it the remote side gets EOF at once. */
  forwardStdin: boolean;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** The exit code of the server's last text frame, `{"type":"exit","code":N}`; null for other text. */
export function exitCodeOf(text: string): number | null {
  try {
    const msg = JSON.parse(text) as { type?: unknown; code?: unknown };
    if (msg.type === 'exit') return typeof msg.code === 'number' ? msg.code : 1;
  } catch {
    // Not a control message.
  }
  return null;
}

/**
 * Runs a shell session over the WebSocket at `url`: stdin → binary frames, binary frames →
 * stdout, terminal resizes → `{"type":"resize"}` text frames; resolves with the remote exit code.
 * Restores the terminal and detaches from stdin however the session ends.
 */
export async function runShell(
  io: CliIo,
  url: string,
  headers: Record<string, string>,
  options: ShellOptions,
): Promise<number> {
  const { stdin, stdout } = io;
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  const send = (data: Buffer | string) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(data, { binary: typeof data !== 'string' });
  };
  const cleanups: Array<() => void> = [];
  const onData = (chunk: Buffer | string) => send(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  // On a terminal the user ends the session; piped input ends with the pipe.
  const onEnd = () => {
    if (!options.tty) send(eofMessage);
  };
  const sendSize = () => {
    if (stdout.columns && stdout.rows)
      send(JSON.stringify({ type: 'resize', cols: stdout.columns, rows: stdout.rows }));
  };

  const attach = () => {
    if (options.tty && stdin.setRawMode) {
      stdin.setRawMode(true);
      cleanups.push(() => stdin.setRawMode?.(false));
      stdout.on('resize', sendSize);
      cleanups.push(() => stdout.off('resize', sendSize));
      sendSize();
    }
    if (!options.forwardStdin) return onEnd();
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    cleanups.push(() => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
    });
    stdin.resume();
  };

  try {
    return await new Promise<number>((resolve, reject) => {
      let exitCode: number | null = null;
      ws.on('unexpected-response', (req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          reject(
            errorFromResponse(
              res.statusCode ?? 0,
              res.statusMessage ?? '',
              Buffer.concat(chunks).toString('utf8'),
            ),
          ),
        );
        res.on('error', () => reject(new CliError(`the shell was refused (HTTP ${res.statusCode})`)));
        req.on('error', () => undefined);
      });
      ws.on('error', (err) => reject(new CliError(`shell connection failed: ${err.message}`)));
      ws.on('open', attach);
      ws.on('message', (data, isBinary) => {
        const bytes = toBuffer(data);
        const code = isBinary ? null : exitCodeOf(bytes.toString('utf8'));
        if (code !== null) {
          exitCode = code;
          return;
        }
        stdout.write(bytes);
      });
      ws.on('close', (code, reason) => {
        if (exitCode !== null) resolve(exitCode);
        else
          reject(
            new CliError(
              `the shell ended without an exit status (WebSocket close ${code}${reason.length ? `: ${reason.toString()}` : ''})`,
            ),
          );
      });
    });
  } finally {
    for (const cleanup of cleanups.reverse()) cleanup();
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
  }
}
