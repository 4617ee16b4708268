import { ConfigProvider, App as AntApp } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter } from 'react-router-dom';
import type { ReactNode } from 'react';
import { isApiError } from '../api/errors';
import { I18nProvider, useI18n } from '../i18n/I18nProvider';
import { AppRoutes } from './AppRoutes';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Client errors do not heal by retrying; network and 5xx errors may.
      retry: (count, err) => count < 2 && !(isApiError(err) && err.status >= 400 && err.status < 500),
      refetchOnWindowFocus: false,
    },
  },
});

function LocalizedAntd({ children }: { children: ReactNode }) {
  const { lang } = useI18n();
  return (
    <ConfigProvider locale={lang === 'zh-CN' ? zhCN : enUS} theme={{ token: { borderRadius: 4 } }}>
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}

/** Providers, outermost first: language, antd (its locale follows the language), data, routing. */
export function App() {
  return (
    <I18nProvider>
      <LocalizedAntd>
        <QueryClientProvider client={queryClient}>
          <BrowserRouter>
            <AppRoutes />
          </BrowserRouter>
        </QueryClientProvider>
      </LocalizedAntd>
    </I18nProvider>
  );
}
