import { useEffect, useMemo, useRef, useState } from 'react';
import { Button, Progress, Segmented, Space, Typography } from 'antd';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useI18n } from '../../i18n/I18nProvider';
import type { RecordedEvent } from '@berth/shared';
import { dueUntil, timeline } from './replay';

const speeds = [0.5, 1, 2, 4, 8] as const;
const tickMs = 50;

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * Replays a recorded shell session in a read-only terminal: play/pause, speed, restart and
 * "show all". Output is written as it was sent; idle gaps longer than two seconds are cut.
 */
export function RecordingPlayer({ events }: { events: RecordedEvent[] }) {
  const { t } = useI18n();
  const tl = useMemo(() => timeline(events), [events]);
  const [el, setEl] = useState<HTMLDivElement | null>(null);
  const term = useRef<Terminal | null>(null);
  const state = useRef({ position: 0, next: 0 });
  const [playing, setPlaying] = useState(true);
  const [speed, setSpeed] = useState<number>(1);
  const [position, setPosition] = useState(0);

  useEffect(() => {
    if (!el) return;
    const xterm = new Terminal({ disableStdin: true, fontSize: 13, scrollback: 10_000, cursorBlink: false });
    xterm.open(el);
    term.current = xterm;
    state.current = { position: 0, next: 0 };
    return () => {
      term.current = null;
      xterm.dispose();
    };
  }, [el]);

  /** Moves the clock to `to` and writes the frames that became due. */
  const advance = (to: number) => {
    const s = state.current;
    const next = dueUntil(tl.frames, s.next, to);
    const text = tl.frames
      .slice(s.next, next)
      .map((f) => f.text)
      .join('');
    if (text) term.current?.write(text);
    s.next = next;
    s.position = Math.min(to, tl.durationMs);
    setPosition(s.position);
  };

  useEffect(() => {
    if (!playing) return;
    const timer = window.setInterval(() => {
      if (!term.current) return;
      advance(state.current.position + tickMs * speed);
      if (state.current.next >= tl.frames.length) setPlaying(false);
    }, tickMs);
    return () => window.clearInterval(timer);
    // advance reads refs only; the loop restarts when speed or the recording changes.
  }, [playing, speed, tl]);

  const restart = () => {
    term.current?.reset();
    state.current = { position: 0, next: 0 };
    setPosition(0);
    setPlaying(true);
  };
  const done = state.current.next >= tl.frames.length;
  const percent = tl.durationMs ? Math.round((position / tl.durationMs) * 100) : 100;

  return (
    <div data-testid="recording-player" data-done={done ? 'true' : 'false'}>
      <Space wrap style={{ marginBottom: 8 }}>
        <Button
          type="primary"
          onClick={() => (done ? restart() : setPlaying((p) => !p))}
          data-testid="replay-toggle"
          aria-label={playing ? t('replay.pause') : t('replay.play')}
        >
          {playing ? t('replay.pause') : done ? t('replay.again') : t('replay.play')}
        </Button>
        <Button onClick={restart}>{t('replay.restart')}</Button>
        <Button onClick={() => advance(tl.durationMs)} data-testid="replay-all">
          {t('replay.all')}
        </Button>
        <Segmented<number>
          aria-label={t('replay.speed')}
          value={speed}
          onChange={setSpeed}
          options={speeds.map((s) => ({ value: s, label: `${s}×` }))}
        />
        <Typography.Text type="secondary" data-testid="replay-clock">
          {clock(position)} / {clock(tl.durationMs)}
        </Typography.Text>
      </Space>
      <Progress percent={percent} showInfo={false} size="small" />
      <div className="replay-box" ref={setEl} data-testid="replay-terminal" />
      {tl.inputs.length ? (
        <>
          <Typography.Title level={5} style={{ marginTop: 16 }}>
            {t('replay.inputs')}
          </Typography.Title>
          <ol className="replay-inputs" data-testid="replay-inputs">
            {tl.inputs.map((line, i) => (
              <li key={i}>
                <Typography.Text type="secondary">{clock(line.at)}</Typography.Text>{' '}
                <code>{line.text || '⏎'}</code>
              </li>
            ))}
          </ol>
        </>
      ) : null}
    </div>
  );
}
