import {
  createContext,
  Suspense,
  useCallback,
  useContext,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { lazyChunk } from '../../app/lazy-chunk';
import type { Task } from '@berth/shared';

// The drawer and its cards (Drawer, Collapse, Progress, the log stream) are their own chunk:
// a page loads them only once a task is tracked or the drawer is opened.
const TaskDrawer = lazyChunk(() => import('./TaskDrawer').then((m) => ({ default: m.TaskDrawer })));

interface TaskCenterValue {
  /** Shows a task in the drawer and opens it. */
  track: (task: Task) => void;
  open: () => void;
  /** How many tracked tasks are not finished, for the header badge. */
  running: number;
}

const TaskCenterContext = createContext<TaskCenterValue | null>(null);
const storageKey = 'berth.tasks';
const maxTracked = 20;

function loadIds(): string[] {
  try {
    const parsed: unknown = JSON.parse(sessionStorage.getItem(storageKey) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The tasks the user started in this tab. The list lives above the routes (and in
 * sessionStorage, for reloads), so a task keeps its place when the user navigates away and back.
 */
export function TaskCenterProvider({ children }: { children: ReactNode }) {
  const [ids, setIds] = useState<string[]>(loadIds);
  const [visible, setVisible] = useState(false);
  const [finished, setFinished] = useState<ReadonlySet<string>>(new Set());

  const save = (next: string[]) => {
    sessionStorage.setItem(storageKey, JSON.stringify(next));
    return next;
  };
  const track = useCallback((task: Task) => {
    setIds((prev) => save([task.id, ...prev.filter((id) => id !== task.id)].slice(0, maxTracked)));
    setVisible(true);
  }, []);
  const dismiss = useCallback((id: string) => setIds((prev) => save(prev.filter((x) => x !== id))), []);
  const onFinished = useCallback(
    (id: string) => setFinished((prev) => (prev.has(id) ? prev : new Set(prev).add(id))),
    [],
  );
  const running = ids.filter((id) => !finished.has(id)).length;
  // Once needed, the drawer stays (so it closes with its animation when the last card goes).
  const needed = useRef(false);
  if (visible || ids.length > 0) needed.current = true;
  const value = useMemo(() => ({ track, open: () => setVisible(true), running }), [track, running]);

  return (
    <TaskCenterContext.Provider value={value}>
      {children}
      {needed.current ? (
        <Suspense fallback={null}>
          <TaskDrawer
            ids={ids}
            open={visible}
            onClose={() => setVisible(false)}
            onDismiss={dismiss}
            onFinished={onFinished}
          />
        </Suspense>
      ) : null}
    </TaskCenterContext.Provider>
  );
}

export function useTaskCenter(): TaskCenterValue {
  const value = useContext(TaskCenterContext);
  if (!value) throw new Error('useTaskCenter must be used inside <TaskCenterProvider>');
  return value;
}
