import { QueryClient } from '@tanstack/react-query';
import { isApiError } from '../api/errors';

/** The portal's one query cache: main.tsx fills it at boot, the pages read it. */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Client errors do not heal by retrying; network and 5xx errors may.
      retry: (count, err) => count < 2 && !(isApiError(err) && err.status >= 400 && err.status < 500),
      refetchOnWindowFocus: false,
    },
  },
});
