import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './i18n';
import { App } from './App';

document.documentElement.lang = localStorage.getItem('tongban.language') === 'en' ? 'en' : 'zh-CN';
createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
