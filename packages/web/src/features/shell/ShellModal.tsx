import { useEffect, useRef, useState } from 'react';
import { Alert, Modal } from 'antd';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import type { ServiceRef } from '../../api/paths';
import { shellUrl } from '../../api/shell-url';
import { useI18n } from '../../i18n/I18nProvider';

type Phase = 'connecting' | 'open' | 'ended' | 'failed';

/**
 * The web shell: xterm.js over the exec WebSocket. Keystrokes go out as binary frames, output
 * comes back as binary frames; the terminal is fitted to the dialog and every size change is
 * sent as a resize message. The server ends with `{"type":"exit","code":N}`.
 */
export function ShellModal(props: {
  serviceRef: ServiceRef;
  container: string;
  user?: string;
  onClose: () => void;
}) {
  const { container, user, onClose } = props;
  // Primitive deps: the parent passes a new ref object on every render, which must not reconnect.
  const { project, env, service } = props.serviceRef;
  const { t } = useI18n();
  // A state, not a ref: the Modal mounts its body after this component, and the effect must rerun then.
  const [el, setEl] = useState<HTMLDivElement | null>(null);
  const [phase, setPhase] = useState<Phase>('connecting');
  const [exitCode, setExitCode] = useState<number | null>(null);
  // The texts are read inside the effect, which must not reconnect when the language changes.
  const texts = useRef({ banner: '', ended: (code: number) => String(code) });
  texts.current = {
    banner: t('shell.banner', { name: container, user: user ?? t('shell.defaultUser') }),
    ended: (code: number) => t('shell.ended', { code }),
  };

  useEffect(() => {
    if (!el) return;
    const term = new Terminal({ cursorBlink: true, fontSize: 13, convertEol: false, scrollback: 5000 });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    fit.fit();
    term.writeln(`\x1b[36m${texts.current.banner}\x1b[0m`);
    const ws = new WebSocket(shellUrl({ project, env, service }, container, term.cols, term.rows));
    ws.binaryType = 'arraybuffer';
    const encoder = new TextEncoder();
    let ended = false;

    ws.onopen = () => {
      setPhase('open');
      term.focus();
    };
    ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
      if (typeof e.data !== 'string') {
        term.write(new Uint8Array(e.data));
        return;
      }
      try {
        const msg = JSON.parse(e.data) as { type?: string; code?: number | null };
        if (msg.type === 'exit') {
          ended = true;
          setExitCode(msg.code ?? -1);
          setPhase('ended');
          term.writeln(`\r\n\x1b[33m${texts.current.ended(msg.code ?? -1)}\x1b[0m`);
        }
      } catch {
        term.write(e.data);
      }
    };
    ws.onclose = () => {
      if (!ended) setPhase((p) => (p === 'connecting' ? 'failed' : 'ended'));
    };
    const input = term.onData((data) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(encoder.encode(data));
    });
    const resize = term.onResize(({ cols, rows }) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'resize', cols, rows }));
    });
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(el);
    return () => {
      observer.disconnect();
      input.dispose();
      resize.dispose();
      ws.close();
      term.dispose();
    };
  }, [el, project, env, service, container]);

  return (
    <Modal
      open
      title={t('shell.title', { name: container })}
      onCancel={onClose}
      footer={null}
      width="80vw"
      destroyOnHidden
    >
      {phase === 'connecting' ? (
        <Alert type="info" title={t('shell.connecting')} style={{ marginBottom: 8 }} />
      ) : null}
      {phase === 'failed' ? (
        <Alert type="error" showIcon title={t('shell.failed')} style={{ marginBottom: 8 }} />
      ) : null}
      {phase === 'ended' ? (
        <Alert
          type="warning"
          showIcon
          data-testid="shell-ended"
          title={exitCode === null ? t('shell.closed') : t('shell.ended', { code: exitCode })}
          style={{ marginBottom: 8 }}
        />
      ) : null}
      <div className="shell-box" ref={setEl} data-testid="shell" data-phase={phase} />
    </Modal>
  );
}
