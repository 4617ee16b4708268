import { startTransition, useEffect, useState, type ReactNode } from 'react';

/** Set once the portal's first screen has been painted: later mounts render at once. */
let firstPaintDone = false;

/**
 * Renders `fallback` (a box of the same size) until the portal's first screen is painted, then
 * its children in a transition (React yields to input while rendering them). For the chrome
 * around the content on a cold load: the header's menu, search and user menu, the scope and
 * filter selects — antd builds each component's styles on its first use, which kept the list's
 * first rows and its filter waiting. Later pages (the flag is set) render everything at once.
 */
export function AfterFirstPaint({
  children,
  fallback = null,
}: {
  children: ReactNode;
  fallback?: ReactNode;
}) {
  const [show, setShow] = useState(firstPaintDone);
  useEffect(() => {
    if (show) return;
    let timer = 0;
    // The frame after this commit is painted when its rAF callback's task runs.
    const frame = requestAnimationFrame(() => {
      timer = window.setTimeout(() => {
        firstPaintDone = true;
        startTransition(() => setShow(true));
      }, 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      window.clearTimeout(timer);
    };
  }, [show]);
  return show ? children : fallback;
}
