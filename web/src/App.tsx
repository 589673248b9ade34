import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp, ConfigProvider, Result, Button, Spin } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { Suspense, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { ApiError } from './api/client';
import { SessionProvider, useSession } from './auth/session';
import { usePrefersReducedMotion } from './layout/reduced-motion';
import { Shell } from './layout/Shell';
import { LoginPage } from './pages/LoginPage';
import { CitizenPage, consoleRoutes } from './routes';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Refusals are answers, not hiccups: only network failures and 5xx are retried.
      retry: (count, error) => count < 2 && (!(error instanceof ApiError) || error.status === 0 || error.status >= 500),
      refetchOnWindowFocus: false,
    },
  },
});

function RequireSession({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (!session.token) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <>{children}</>;
}

function NotFound() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  return <Result status="404" title="404" subTitle={t('common.notFound')} extra={<Button onClick={() => navigate('/')}>{t('common.backHome')}</Button>} />;
}

export function App() {
  const { i18n } = useTranslation();
  const reducedMotion = usePrefersReducedMotion();
  return (
    <ConfigProvider locale={i18n.language === 'en' ? enUS : zhCN} theme={{ token: { colorPrimary: '#1677ff', motion: !reducedMotion } }} button={{ autoInsertSpace: false }}>
      <AntApp>
        <QueryClientProvider client={queryClient}>
          <SessionProvider>
            <BrowserRouter>
              <Routes>
                <Route path="/login" element={<LoginPage />} />
                <Route path="/my-data" element={<Suspense fallback={<Spin />}><CitizenPage /></Suspense>} />
                <Route
                  element={
                    <RequireSession>
                      <Shell />
                    </RequireSession>
                  }
                >
                  <Route index element={<Navigate to="/federation" replace />} />
                  {consoleRoutes.map((route) => (
                    <Route key={route.path} path={route.path} element={<route.page />} />
                  ))}
                  <Route path="*" element={<NotFound />} />
                </Route>
              </Routes>
            </BrowserRouter>
          </SessionProvider>
        </QueryClientProvider>
      </AntApp>
    </ConfigProvider>
  );
}
