import { Component, lazy, type ComponentType, type ReactNode } from 'react';
import { ErrorState } from '../components/ErrorState';
import { retryImport } from './chunk-load';

/** React.lazy whose chunk fetch is tried again, then reloads the page once (chunk-load.ts). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- React.lazy's own constraint
export function lazyChunk<T extends ComponentType<any>>(load: () => Promise<{ default: T }>) {
  return lazy(() => retryImport(load));
}

interface BoundaryProps {
  /** A new key (the path) clears the error: another page may load. */
  resetKey: string;
  children: ReactNode;
}

/**
 * Catches what a page throws while rendering, its chunk that could not be fetched included, and
 * shows it in place of the page with a reload, keeping the navigation around it usable (without
 * it React unmounts the whole portal and leaves a blank tab).
 */
export class PageErrorBoundary extends Component<BoundaryProps, { error: unknown; key: string }> {
  override state = { error: null as unknown, key: this.props.resetKey };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  static getDerivedStateFromProps(props: BoundaryProps, state: { error: unknown; key: string }) {
    return props.resetKey === state.key ? null : { error: null, key: props.resetKey };
  }

  override render() {
    if (this.state.error === null) return this.props.children;
    return <ErrorState error={this.state.error} onRetry={() => window.location.reload()} />;
  }
}
