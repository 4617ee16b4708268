import { useState } from 'react';
import { Input, Tooltip } from 'antd';
import type { ServiceRef } from '../../api/paths';
import { errorText } from '../../components/ErrorState';
import { useI18n } from '../../i18n/I18nProvider';
import { ShellModal } from '../shell/ShellModal';
import { startDebug, type DebugSession } from './debug-api';

/** The WebSocket URL of a debug session's one shell, on the page's own origin. */
function debugShellUrl(session: DebugSession, cols: number, rows: number): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}${session.shellPath}?cols=${cols}&rows=${rows}`;
}

/**
 * The "Debug" window: starts a debug container beside `container` (a new one for each connect:
 * Reconnect, the root switch and another image start another) and opens its one shell in the web
 * shell's terminal. The server removes the container when the shell ends or the window closes (on
 * Kubernetes it kills the ephemeral container's process: the pod keeps it, terminated).
 */
export function DebugShellModal(props: {
  serviceRef: ServiceRef;
  container: string;
  canRoot: boolean;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const { serviceRef, container } = props;
  // The image the current debug container runs ('' = the toolbox); typing changes only the field.
  const [image, setImage] = useState('');
  const [typed, setTyped] = useState('');
  const connect = async (cols: number, rows: number, asRoot: boolean) => {
    let session;
    try {
      session = await startDebug(serviceRef, container, asRoot, image || undefined);
    } catch (err) {
      throw new Error(t('debug.startFailed', { error: errorText(t, err) }));
    }
    const expires = new Date(session.expiresAt).toLocaleTimeString();
    return {
      url: debugShellUrl(session, cols, rows),
      // on Kubernetes: the name the cluster shows, and that it stays in the pod (it cannot be removed)
      banner: session.ephemeral
        ? t('debug.connected.kubernetes', {
            debug: session.ephemeral.container,
            pod: session.ephemeral.pod,
            image: session.image,
            user: session.user,
            expires,
          })
        : t('debug.connected', {
            debug: session.container,
            image: session.image,
            name: container,
            user: session.user,
            expires,
          }),
    };
  };
  const imageField = (
    <Tooltip title={t('debug.image.help')}>
      <Input.Search
        size="small"
        style={{ width: 320 }}
        placeholder={t('debug.image.placeholder')}
        enterButton={t('debug.image.start')}
        value={typed}
        onChange={(e) => setTyped(e.target.value)}
        onSearch={(value) => setImage(value.trim())}
        data-testid="debug-image"
      />
    </Tooltip>
  );
  return (
    // a new image is a new session: the old debug container goes with the old shell
    <ShellModal
      generation={image}
      serviceRef={serviceRef}
      container={container}
      user={t('debug.defaultUser')}
      canRoot={props.canRoot}
      onClose={props.onClose}
      connect={connect}
      title={t('debug.title', { name: container })}
      extra={imageField}
    />
  );
}
