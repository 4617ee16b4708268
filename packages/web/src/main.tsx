// First: starts the first page's requests while the rest of the scripts initialise.
import { bootCode } from './app/boot';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { initialLanguage, loadLanguage } from './i18n/I18nProvider';
import './app/app.css';

const root = document.getElementById('root');
// Chinese loads its dictionaries first, and the first page its code (beside the requests boot
// started); English has its dictionaries in the entry.
if (root)
  void Promise.all([loadLanguage(initialLanguage()).catch(() => undefined), bootCode]).then(() =>
    createRoot(root).render(
      <StrictMode>
        <App />
      </StrictMode>,
    ),
  );
