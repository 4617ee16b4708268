import { useEffect, useRef } from 'react';

export interface StreamHandlers {
  /** Called with each event's parsed data, by event name. */
  on: Record<string, (data: unknown) => void>;
  /** Called when the server says the stream is over (an `end` event); the stream is closed. */
  onEnd?: (data: unknown) => void;
  /** Called when the connection fails; EventSource retries by itself unless closed. */
  onError?: () => void;
}

/**
 * Follows a Server-Sent Events URL while `url` is set. Handlers may change on every render
 * without reopening the stream. The stream closes on `end`, on unmount and when `url` changes:
 * an ended stream must not be reopened by EventSource's automatic reconnect.
 */
export function useEventStream(url: string | null, handlers: StreamHandlers): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    if (!url) return;
    const source = new EventSource(url, { withCredentials: true });
    const parse = (e: MessageEvent<string>): unknown => {
      try {
        return JSON.parse(e.data);
      } catch {
        return e.data;
      }
    };
    const names = Object.keys(ref.current.on);
    const listeners = names.map((name) => {
      const listener = (e: MessageEvent<string>) => ref.current.on[name]?.(parse(e));
      source.addEventListener(name, listener);
      return [name, listener] as const;
    });
    source.addEventListener('end', (e: MessageEvent<string>) => {
      source.close();
      ref.current.onEnd?.(parse(e));
    });
    source.onerror = () => ref.current.onError?.();
    return () => {
      for (const [name, listener] of listeners) source.removeEventListener(name, listener);
      source.close();
    };
  }, [url]);
}
