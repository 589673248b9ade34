import {
  ApartmentOutlined,
  AuditOutlined,
  DatabaseOutlined,
  FileProtectOutlined,
  LogoutOutlined,
  SafetyCertificateOutlined,
  SwapOutlined,
  TeamOutlined,
} from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Layout, Menu, Modal, Space, Spin, Tag, Typography, Button, Alert } from 'antd';
import { Suspense, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Outlet, useLocation, useNavigate } from 'react-router';
import { client, ok } from '../api/client';
import { useSession } from '../auth/session';
import { LoginForm } from '../pages/LoginPage';
import { consoleRoutes } from '../routes';
import { LanguageSwitch } from './LanguageSwitch';

const icons: Record<string, ReactNode> = {
  federation: <ApartmentOutlined />,
  catalog: <DatabaseOutlined />,
  agreements: <FileProtectOutlined />,
  exchange: <SwapOutlined />,
  audit: <AuditOutlined />,
  quality: <SafetyCertificateOutlined />,
  accounts: <TeamOutlined />,
};

export function Shell() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const session = useSession();
  const node = useQuery({ queryKey: ['node'], queryFn: () => ok(client.GET('/api/v1/node')) });

  const entries = consoleRoutes.filter((route) => route.nav && (!route.roles || session.hasRole(...route.roles)));
  const selected = entries.find((route) => location.pathname.startsWith(route.path))?.path;

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="lg" collapsedWidth={0} theme="light" width={220}>
        <div style={{ padding: '16px 20px', fontWeight: 600, fontSize: 18 }}>{t('common.product')}</div>
        <Menu
          mode="inline"
          selectedKeys={selected ? [selected] : []}
          items={entries.map((route) => ({ key: route.path, icon: icons[route.nav ?? ''], label: t(`common.nav.${route.nav}`) }))}
          onClick={({ key }) => navigate(key)}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header style={{ background: '#fff', padding: '0 24px', display: 'flex', alignItems: 'center', justifyContent: 'space-between' }}>
          <Space>
            {node.data ? (
              <>
                <Typography.Text strong data-testid="node-name">{node.data.name}</Typography.Text>
                <Tag>{node.data.code}</Tag>
              </>
            ) : null}
          </Space>
          <Space size="middle">
            <LanguageSwitch />
            {session.me ? (
              <Space size={4}>
                <Typography.Text>{session.me.name}</Typography.Text>
                {session.me.roles.map((role) => (
                  <Tag key={role} color="blue">{t(`common.roles.${role}`)}</Tag>
                ))}
              </Space>
            ) : null}
            <Button icon={<LogoutOutlined />} onClick={() => void session.logout().then(() => navigate('/login'))}>
              {t('common.logout')}
            </Button>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ margin: 24 }}>
          <Suspense fallback={<Spin tip={t('common.loading')}><div style={{ minHeight: 200 }} /></Spin>}>
            <Outlet />
          </Suspense>
        </Layout.Content>
      </Layout>
      <Modal
        open={session.reauthenticating}
        title={t('login.reauthTitle')}
        footer={null}
        onCancel={session.abandonReauth}
        destroyOnHidden
      >
        <Alert type="warning" showIcon title={t('login.sessionExpired')} style={{ marginBottom: 16 }} />
        <LoginForm embedded {...(session.me?.account?.username ? { username: session.me.account.username } : {})} />
      </Modal>
    </Layout>
  );
}
