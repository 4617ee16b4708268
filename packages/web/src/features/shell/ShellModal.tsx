import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Alert, App, Button, Modal, Space, Switch, Tag, Tooltip, Typography } from 'antd';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import type { ServiceRef } from '../../api/paths';
import { shellUrl } from '../../api/shell-url';
import { useI18n } from '../../i18n/I18nProvider';

/** `lost`: the connection closed without the process's exit (network, server restart). */
type Phase = 'connecting' | 'open' | 'ended' | 'lost' | 'failed';

/**
 * Ctrl+Shift+C copies the selection, as in desktop terminals (plain Ctrl+C stays an interrupt).
 * Pasting needs no key handler: the browser's own paste (Ctrl+Shift+V, Ctrl+V, the context menu)
 * reaches xterm's paste handler, also where the clipboard API is not available.
 */
function isCopyKey(e: KeyboardEvent): boolean {
  return e.type === 'keydown' && e.ctrlKey && e.shiftKey && e.code === 'KeyC';
}

/**
 * The web shell: xterm.js over the exec WebSocket. Keystrokes go out as binary frames, output
 * comes back as binary frames; the terminal is fitted to the dialog and every size change is
 * sent as a resize message. The server ends with `{"type":"exit","code":N}`; a close without an
 * exit code means the connection was lost, and Reconnect opens a new session.
 */
export function ShellModal(props: {
  serviceRef: ServiceRef;
  container: string;
  user?: string;
  /** The user holds services:exec-root on the project: offer "run as root". */
  canRoot: boolean;
  onClose: () => void;
  /**
   * Prepares the session and answers the URL to connect to, with the banner to show (debug
   * containers: start one, then open its shell; features/debug). Default: the container's shell.
   */
  connect?: (cols: number, rows: number, asRoot: boolean) => Promise<{ url: string; banner: string }>;
  title?: string;
  /** More controls at the start of the toolbar (the debug window's image field). */
  extra?: ReactNode;
  /** A change starts a new session, as Reconnect does (the debug window's image). */
  generation?: string;
}) {
  const { container, user, canRoot, onClose } = props;
  // Primitive deps: the parent passes a new ref object on every render, which must not reconnect.
  const { project, env, service } = props.serviceRef;
  const generation = props.generation;
  const { t } = useI18n();
  const { message } = App.useApp();
  // A state, not a ref: the Modal mounts its body after this component, and the effect must rerun then.
  const [el, setEl] = useState<HTMLDivElement | null>(null);
  const [phase, setPhase] = useState<Phase>('connecting');
  const [exitCode, setExitCode] = useState<number | null>(null);
  const [asRoot, setAsRoot] = useState(false);
  // Bumped by Reconnect: a new terminal and a new session.
  const [attempt, setAttempt] = useState(0);
  const term = useRef<Terminal | null>(null);
  // A ref: the parent passes a new function on every render, which must not reconnect.
  const connectRef = useRef(props.connect);
  connectRef.current = props.connect;
  const runsAs = asRoot ? t('shell.root') : (user ?? t('shell.defaultUser'));
  // The texts are read inside the effect, which must not reconnect when the language changes.
  const texts = useRef({ banner: '', ended: (code: number) => String(code), lost: '' });
  texts.current = {
    banner: t('shell.connected', { name: container, user: runsAs }),
    ended: (code: number) => t('shell.ended', { code }),
    lost: t('shell.lost'),
  };

  const copy = () => {
    const text = term.current?.getSelection() ?? '';
    if (text) void navigator.clipboard?.writeText(text);
  };
  const paste = () => {
    // The clipboard API needs a secure origin and the user's permission; else the keyboard works.
    const hint = () => void message.info(t('shell.pasteHint'));
    if (!navigator.clipboard) return hint();
    navigator.clipboard
      .readText()
      .then((text) => term.current?.paste(text))
      .catch(hint);
  };

  useEffect(() => {
    if (!el) return;
    setPhase('connecting');
    setExitCode(null);
    const xterm = new Terminal({ cursorBlink: true, fontSize: 13, convertEol: false, scrollback: 5000 });
    term.current = xterm;
    const fit = new FitAddon();
    xterm.loadAddon(fit);
    xterm.open(el);
    fit.fit();
    xterm.attachCustomKeyEventHandler((e) => {
      if (!isCopyKey(e)) return true;
      e.preventDefault();
      copy();
      return false;
    });
    const encoder = new TextEncoder();
    let exited = false;
    let opened = false;
    let disposed = false;
    let ws: WebSocket | null = null;
    const attach = (url: string, banner: string) => {
      xterm.writeln(`\x1b[36m${banner}\x1b[0m`);
      ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        opened = true;
        setPhase('open');
        xterm.focus();
      };
      ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
        if (typeof e.data !== 'string') {
          xterm.write(new Uint8Array(e.data));
          return;
        }
        try {
          const msg = JSON.parse(e.data) as { type?: string; code?: number | null };
          // No exit code: the server ended the session without the process exiting (shutdown).
          if (msg.type === 'exit' && typeof msg.code === 'number') {
            exited = true;
            setExitCode(msg.code);
            setPhase('ended');
            xterm.writeln(`\r\n\x1b[33m${texts.current.ended(msg.code)}\x1b[0m`);
          }
        } catch {
          xterm.write(e.data);
        }
      };
      ws.onclose = () => {
        if (exited) return;
        if (opened) xterm.writeln(`\r\n\x1b[31m${texts.current.lost}\x1b[0m`);
        setPhase(opened ? 'lost' : 'failed');
      };
    };
    const connect = connectRef.current;
    if (connect) {
      connect(xterm.cols, xterm.rows, asRoot).then(
        ({ url, banner }) => {
          if (!disposed) return attach(url, banner);
          // closed while it was prepared: open and close its session, which ends it at once
          const late = new WebSocket(url);
          late.onopen = () => late.close();
        },
        (err: unknown) => {
          if (disposed) return;
          xterm.writeln(`\x1b[31m${err instanceof Error ? err.message : String(err)}\x1b[0m`);
          setPhase('failed');
        },
      );
    } else {
      const url = shellUrl({ project, env, service }, container, xterm.cols, xterm.rows);
      attach(asRoot ? `${url}&user=root` : url, texts.current.banner);
    }
    const input = xterm.onData((data) => {
      if (ws?.readyState === WebSocket.OPEN) ws.send(encoder.encode(data));
    });
    const resize = xterm.onResize(({ cols, rows }) => {
      if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'resize', cols, rows }));
    });
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(el);
    return () => {
      observer.disconnect();
      disposed = true;
      input.dispose();
      resize.dispose();
      if (ws) {
        ws.onclose = null;
        ws.close();
      }
      xterm.dispose();
      term.current = null;
    };
    // copy only reads the terminal ref, so it is not a dependency: no reconnect for it.
  }, [el, project, env, service, container, asRoot, attempt, generation]);

  const reconnect = (
    <Button
      size="small"
      type="primary"
      onClick={() => setAttempt((n) => n + 1)}
      data-testid="shell-reconnect"
    >
      {t('shell.reconnect')}
    </Button>
  );

  return (
    <Modal
      open
      title={props.title ?? t('shell.title', { name: container })}
      onCancel={onClose}
      footer={null}
      width="80vw"
      destroyOnHidden
    >
      <Space wrap style={{ marginBottom: 8, width: '100%', justifyContent: 'space-between' }}>
        <Space wrap>
          {props.extra}
          <Typography.Text type="secondary">{t('shell.runsAs')}</Typography.Text>
          <Tag color={asRoot ? 'red' : 'blue'} data-testid="shell-user">
            {runsAs}
          </Tag>
          {canRoot ? (
            <Tooltip title={t('shell.rootHelp')}>
              <Space size={4}>
                <Switch size="small" checked={asRoot} onChange={setAsRoot} data-testid="shell-root" />
                <Typography.Text>{t('shell.asRoot')}</Typography.Text>
              </Space>
            </Tooltip>
          ) : null}
        </Space>
        <Space>
          <Tooltip title="Ctrl+Shift+C">
            <Button size="small" onClick={copy}>
              {t('shell.copy')}
            </Button>
          </Tooltip>
          <Tooltip title="Ctrl+Shift+V">
            <Button size="small" onClick={paste}>
              {t('shell.paste')}
            </Button>
          </Tooltip>
        </Space>
      </Space>
      {phase === 'connecting' ? (
        <Alert type="info" title={t('shell.connecting')} style={{ marginBottom: 8 }} />
      ) : null}
      {phase === 'failed' ? (
        <Alert
          type="error"
          showIcon
          title={t('shell.failed')}
          action={reconnect}
          style={{ marginBottom: 8 }}
        />
      ) : null}
      {phase === 'lost' ? (
        <Alert
          type="error"
          showIcon
          data-testid="shell-lost"
          title={t('shell.lost')}
          action={reconnect}
          style={{ marginBottom: 8 }}
        />
      ) : null}
      {phase === 'ended' ? (
        <Alert
          type="warning"
          showIcon
          data-testid="shell-ended"
          title={t('shell.ended', { code: exitCode ?? -1 })}
          action={reconnect}
          style={{ marginBottom: 8 }}
        />
      ) : null}
      <div className="shell-box" ref={setEl} data-testid="shell" data-phase={phase} />
    </Modal>
  );
}
