// First: starts the first page's requests while the rest of the scripts initialise.
import './app/boot';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { initialLanguage, loadLanguage } from './i18n/I18nProvider';
import './app/app.css';

const root = document.getElementById('root');
// Chinese loads its dictionaries first (beside the requests boot started); English has them.
if (root)
  void loadLanguage(initialLanguage())
    .catch(() => undefined)
    .then(() =>
      createRoot(root).render(
        <StrictMode>
          <App />
        </StrictMode>,
      ),
    );
