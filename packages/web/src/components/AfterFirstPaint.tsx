import { startTransition, useEffect, useRef, useState, type ReactNode } from 'react';

/** Set once the portal's first screen has been painted: later mounts render at once. */
let firstPaintDone = false;
/** The groups waiting for their turn, in mount order (outer and earlier first). */
const waiting: Array<() => void> = [];
let draining = false;

/** Shows the next waiting group in a task of its own; the queue ends when none is left. */
function showNext(): void {
  const show = waiting.shift();
  if (!show) {
    draining = false;
    return;
  }
  draining = true;
  window.setTimeout(() => startTransition(show), 0);
}

/**
 * Renders `fallback` (a box of the same size) until the portal's first screen is painted, then
 * its children, one group after the other, each in a transition and a task of its own: React
 * yields to input while it renders them, and a keystroke waits for one group's commit at most,
 * not for all of them. For the chrome around the content on a cold load (the header's menu,
 * search and user menu, the scope and filter selects, the page's buttons): antd builds each
 * component's styles on its first use, which made the list's first rows and its filter wait
 * for all of it in one long task. Once the first screen is painted, later mounts (other pages,
 * navigation) render at once.
 */
export function AfterFirstPaint({
  children,
  fallback = null,
}: {
  children: ReactNode;
  fallback?: ReactNode;
}) {
  const [show, setShow] = useState(firstPaintDone);
  const turn = useRef<(() => void) | null>(null);
  useEffect(() => {
    if (show) return;
    let unmounted = false;
    const reveal = () => {
      if (unmounted) return showNext();
      // The next group goes once this one committed (the effect below), or after 300 ms if
      // this commit never comes (the page went away in between): the queue never stalls.
      const fallbackTimer = window.setTimeout(done, 300);
      let finished = false;
      function done() {
        if (finished) return;
        finished = true;
        window.clearTimeout(fallbackTimer);
        showNext();
      }
      turn.current = done;
      setShow(true);
    };
    waiting.push(reveal);
    if (!draining) {
      draining = true;
      // Runs just before the frame with this commit is painted; the first group's task after it.
      requestAnimationFrame(() => {
        firstPaintDone = true;
        showNext();
      });
    }
    return () => {
      unmounted = true;
      const at = waiting.indexOf(reveal);
      if (at >= 0) waiting.splice(at, 1);
    };
  }, [show]);
  useEffect(() => {
    if (!show || !turn.current) return;
    turn.current();
    turn.current = null;
  }, [show]);
  return show ? children : fallback;
}
