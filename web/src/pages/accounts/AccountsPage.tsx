/**
 * Accounts (admin): staff accounts — list, create with roles (the server's duty-separation
 * refusals shown next to the roles field), change roles, disable/enable, reset the second factor —
 * and API tokens (create, revoke). One-time secrets are shown once, with a copy button.
 */
import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  App,
  Button,
  Card,
  Checkbox,
  DatePicker,
  Empty,
  Form,
  Input,
  Modal,
  Popconfirm,
  QRCode,
  Skeleton,
  Space,
  Table,
  Tabs,
  Tag,
  Typography,
  type FormInstance,
} from 'antd';
import type { Dayjs } from 'dayjs';
import type { TFunction } from 'i18next';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, client, ok, type paths } from '../../api/client';
import { useSession, type Role } from '../../auth/session';
import { CopyableId } from '../../components/CopyableId';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { showFieldError } from '../../components/forms';
import { Time } from '../../components/Time';
import { formatTime } from '../../i18n/format';

type Account = paths['/api/v1/accounts']['get']['responses']['200']['content']['application/json']['accounts'][number];
type ApiToken = paths['/api/v1/tokens']['get']['responses']['200']['content']['application/json']['tokens'][number];

const allRoles: readonly Role[] = ['admin', 'steward', 'agreements', 'caseworker', 'auditor'];
const tokenForbidden: readonly Role[] = ['admin', 'auditor'];

/** A secret shown exactly once: the authenticator's (with a QR code) or an API token's. */
interface OneTimeSecret {
  readonly title: string;
  readonly notice: string;
  readonly label: string;
  readonly secret: string;
  readonly uri?: string;
}

function SecretModal({ secret, onClose }: { secret: OneTimeSecret | null; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <Modal
      open={!!secret}
      title={secret?.title}
      onCancel={onClose}
      mask={{ closable: false }}
      destroyOnHidden
      footer={<Button type="primary" onClick={onClose} data-testid="secret-close">{t('accounts.secretDone')}</Button>}
    >
      {secret ? (
        <Space orientation="vertical" style={{ width: '100%' }} size="middle" data-testid="one-time-secret">
          <Typography.Paragraph type="warning">{secret.notice}</Typography.Paragraph>
          {secret.uri ? <QRCode value={secret.uri} size={168} bordered={false} /> : null}
          <div>
            <Typography.Text type="secondary">{secret.label}</Typography.Text>
            <Typography.Paragraph copyable={{ text: secret.secret }} code style={{ wordBreak: 'break-all', marginBottom: 0 }} data-testid="secret-value">
              {secret.secret}
            </Typography.Paragraph>
          </div>
          {secret.uri ? (
            <div>
              <Typography.Text type="secondary">{t('accounts.secretUri')}</Typography.Text>
              <Typography.Paragraph copyable={{ text: secret.uri }} ellipsis style={{ marginBottom: 0 }}>
                {secret.uri}
              </Typography.Paragraph>
            </div>
          ) : null}
        </Space>
      ) : null}
    </Modal>
  );
}

/**
 * Puts a refusal next to the field it concerns: duty separation and role refusals at `roles`,
 * weak passwords (with each shortcoming) at `password`, a taken name at `username`; anything the
 * server names by path via showFieldError. Returns false when the error belongs on the page.
 */
function placeError(form: FormInstance, error: unknown, t: TFunction, nameField = 'username'): boolean {
  if (!(error instanceof ApiError)) return false;
  const message = errorText(error, t);
  if (error.code === 'duty_separation' || error.code === 'last_admin') {
    form.setFields([{ name: 'roles', errors: [message] }]);
    return true;
  }
  if (error.code === 'password_too_weak') {
    const problems = Array.isArray(error.details?.problems) ? (error.details.problems as string[]) : [];
    const texts = problems.map((problem) => t(`accounts.passwordProblems.${problem}`, { defaultValue: '' })).filter(Boolean);
    form.setFields([{ name: 'password', errors: [texts.length > 0 ? `${message}（${texts.join('；')}）` : message] }]);
    return true;
  }
  if (error.code === 'already_exists') {
    form.setFields([{ name: nameField, errors: [message] }]);
    return true;
  }
  return showFieldError(form, error, message);
}

function RoleTags({ roles }: { roles: readonly string[] }) {
  const { t } = useTranslation();
  return (
    <Space size={[4, 4]} wrap>
      {roles.map((role) => (
        <Tag key={role} color={role === 'admin' ? 'red' : role === 'auditor' ? 'purple' : 'blue'}>
          {t(`common.roles.${role}`)}
        </Tag>
      ))}
    </Space>
  );
}

/** The role checkboxes; Form.Item passes value and onChange through. */
function RoleChoice({ disabledRoles = [], ...group }: { disabledRoles?: readonly Role[]; value?: Role[]; onChange?: (value: Role[]) => void; id?: string }) {
  const { t } = useTranslation();
  return (
    <Checkbox.Group<Role>
      {...group}
      options={allRoles.map((role) => ({ value: role, label: t(`common.roles.${role}`), disabled: disabledRoles.includes(role) }))}
    />
  );
}

interface CreateAccountValues {
  username: string;
  displayName: string;
  roles: Role[];
  password: string;
  passwordConfirm: string;
}

/** A new password and its confirmation, as form items named `password` and `passwordConfirm`. */
function PasswordFields({ label }: { label: string }) {
  const { t } = useTranslation();
  return (
    <>
      <Form.Item name="password" label={label} extra={t('accounts.passwordHelp')} rules={[{ required: true, max: 1024, message: t('accounts.passwordHelp') }]}>
        <Input.Password autoComplete="new-password" />
      </Form.Item>
      <Form.Item
        name="passwordConfirm"
        label={t('accounts.passwordConfirm')}
        dependencies={['password']}
        rules={[
          { required: true, message: t('accounts.passwordMismatch') },
          ({ getFieldValue }) => ({
            validator: (_, value) => (!value || getFieldValue('password') === value ? Promise.resolve() : Promise.reject(new Error(t('accounts.passwordMismatch')))),
          }),
        ]}
      >
        <Input.Password autoComplete="new-password" />
      </Form.Item>
    </>
  );
}

function CreateAccountModal({ open, onClose, onSecret }: { open: boolean; onClose: () => void; onSecret: (secret: OneTimeSecret) => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<CreateAccountValues>();
  const [pageError, setPageError] = useState<unknown>(null);
  const create = useMutation({
    mutationFn: (values: CreateAccountValues) =>
      ok(client.POST('/api/v1/accounts', { body: { username: values.username, displayName: values.displayName, roles: values.roles, password: values.password } })),
    onSuccess: async (created) => {
      await queryClient.invalidateQueries({ queryKey: ['accounts'] });
      void message.success(t('accounts.created', { username: created.account.username }));
      form.resetFields();
      onClose();
      if (created.secondFactor) {
        onSecret({
          title: t('accounts.secretTitle', { username: created.account.username }),
          notice: t('accounts.secretOnce'),
          label: t('accounts.secretLabel'),
          secret: created.secondFactor.secret,
          uri: created.secondFactor.uri,
        });
      }
    },
    onError: (error) => {
      if (!placeError(form, error, t)) setPageError(error);
    },
  });
  return (
    <Modal
      open={open}
      title={t('accounts.createTitle')}
      onCancel={onClose}
      okText={t('common.submit')}
      cancelText={t('common.cancel')}
      confirmLoading={create.isPending}
      onOk={() => form.submit()}
      okButtonProps={{ 'data-testid': 'account-create-submit' } as Record<string, string>}
      destroyOnHidden
      width={560}
    >
      {pageError ? <div style={{ marginBottom: 16 }}><ErrorAlert error={pageError} /></div> : null}
      <Form
        form={form}
        layout="vertical"
        name="create-account"
        onFinish={(values) => {
          setPageError(null);
          create.mutate(values);
        }}
      >
        <Form.Item
          name="username"
          label={t('accounts.username')}
          extra={t('accounts.usernameRule')}
          rules={[{ required: true, pattern: /^[a-z0-9._-]{3,64}$/, message: t('accounts.usernameRule') }]}
        >
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item name="displayName" label={t('accounts.displayName')} rules={[{ required: true, whitespace: true, max: 100, message: t('accounts.displayNameRequired') }]}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item name="roles" label={t('accounts.roles')} extra={t('accounts.rolesHelp')} rules={[{ required: true, type: 'array', min: 1, message: t('accounts.rolesRequired') }]}>
          <RoleChoice />
        </Form.Item>
        <PasswordFields label={t('accounts.password')} />
      </Form>
    </Modal>
  );
}

function EditRolesModal({ account, onClose, onSecret }: { account: Account | null; onClose: () => void; onSecret: (secret: OneTimeSecret) => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<{ roles: Role[] }>();
  const [pageError, setPageError] = useState<unknown>(null);
  const save = useMutation({
    mutationFn: (roles: Role[]) => ok(client.PUT('/api/v1/accounts/{id}/roles', { params: { path: { id: account!.id } }, body: { roles } })),
    onSuccess: async (updated) => {
      await queryClient.invalidateQueries({ queryKey: ['accounts'] });
      void message.success(t('accounts.rolesSaved', { username: updated.account.username }));
      onClose();
      if (updated.secondFactor) {
        onSecret({
          title: t('accounts.secretTitle', { username: updated.account.username }),
          notice: t('accounts.secretOnce'),
          label: t('accounts.secretLabel'),
          secret: updated.secondFactor.secret,
          uri: updated.secondFactor.uri,
        });
      }
    },
    onError: (error) => {
      if (!placeError(form, error, t)) setPageError(error);
    },
  });
  return (
    <Modal
      open={!!account}
      title={account ? t('accounts.editRolesTitle', { username: account.username }) : ''}
      onCancel={onClose}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      onOk={() => form.submit()}
      destroyOnHidden
      afterOpenChange={(visible) => {
        if (visible && account) {
          setPageError(null);
          form.setFieldsValue({ roles: [...account.roles] });
        }
      }}
    >
      {pageError ? <div style={{ marginBottom: 16 }}><ErrorAlert error={pageError} /></div> : null}
      <Form form={form} layout="vertical" name="edit-roles" onFinish={(values) => save.mutate(values.roles)} initialValues={{ roles: account ? [...account.roles] : [] }}>
        <Form.Item name="roles" label={t('accounts.roles')} extra={t('accounts.rolesHelp')} rules={[{ required: true, type: 'array', min: 1, message: t('accounts.rolesRequired') }]}>
          <RoleChoice />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function ResetPasswordModal({ account, onClose }: { account: Account | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ password: string; passwordConfirm: string }>();
  const [pageError, setPageError] = useState<unknown>(null);
  const reset = useMutation({
    mutationFn: (password: string) => ok(client.POST('/api/v1/accounts/{id}/password', { params: { path: { id: account!.id } }, body: { next: password } })),
    onSuccess: (updated) => {
      void message.success(t('accounts.resetPasswordDone', { username: updated.username }));
      onClose();
    },
    onError: (error) => {
      if (!placeError(form, error, t)) setPageError(error);
    },
  });
  return (
    <Modal
      open={!!account}
      title={account ? t('accounts.resetPasswordTitle', { username: account.username }) : ''}
      onCancel={onClose}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={reset.isPending}
      onOk={() => form.submit()}
      destroyOnHidden
      afterOpenChange={(visible) => visible && setPageError(null)}
    >
      {pageError ? <div style={{ marginBottom: 16 }}><ErrorAlert error={pageError} /></div> : null}
      <Typography.Paragraph type="secondary">{t('accounts.resetPasswordHelp')}</Typography.Paragraph>
      <Form form={form} layout="vertical" name="reset-password" onFinish={(values) => reset.mutate(values.password)}>
        <PasswordFields label={t('accounts.newPassword')} />
      </Form>
    </Modal>
  );
}

function StaffAccounts({ onSecret }: { onSecret: (secret: OneTimeSecret) => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { me } = useSession();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState('');
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Account | null>(null);
  const [resetting, setResetting] = useState<Account | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const accounts = useQuery({ queryKey: ['accounts'], queryFn: () => ok(client.GET('/api/v1/accounts')) });

  const act = useMutation({
    mutationFn: async ({ account, action }: { account: Account; action: 'disable' | 'enable' | 'reset-2fa' }) => {
      const params = { params: { path: { id: account.id } } };
      if (action === 'disable') return { action, account, result: await ok(client.POST('/api/v1/accounts/{id}/disable', params)) };
      if (action === 'enable') return { action, account, result: await ok(client.POST('/api/v1/accounts/{id}/enable', params)) };
      return { action, account, result: await ok(client.POST('/api/v1/accounts/{id}/reset-2fa', params)) };
    },
    onSuccess: async ({ action, account, result }) => {
      setActionError(null);
      await queryClient.invalidateQueries({ queryKey: ['accounts'] });
      if (action === 'disable') void message.success(t('accounts.disabledDone', { username: account.username }));
      if (action === 'enable') void message.success(t('accounts.enabledDone', { username: account.username }));
      if (action === 'reset-2fa' && 'secret' in result) {
        onSecret({ title: t('accounts.secretTitle', { username: account.username }), notice: t('accounts.secretOnce'), label: t('accounts.secretLabel'), secret: result.secret, uri: result.uri });
      }
    },
    onError: (error) => setActionError(error),
  });

  const rows = useMemo(() => {
    const needle = search.trim().toLowerCase();
    const list = accounts.data?.accounts ?? [];
    return needle ? list.filter((account) => account.username.toLowerCase().includes(needle) || account.displayName.toLowerCase().includes(needle)) : list;
  }, [accounts.data, search]);

  if (accounts.isPending) return <Skeleton active paragraph={{ rows: 6 }} />;
  if (accounts.isError) return <ErrorAlert error={accounts.error} onRetry={() => void accounts.refetch()} />;

  return (
    <>
      <Space style={{ marginBottom: 16, width: '100%', justifyContent: 'space-between' }} wrap>
        <Input.Search allowClear placeholder={t('accounts.searchPlaceholder')} onChange={(event) => setSearch(event.target.value)} style={{ width: 280 }} aria-label={t('accounts.searchPlaceholder')} />
        <Space>
          <Button icon={<ReloadOutlined />} onClick={() => void accounts.refetch()} loading={accounts.isFetching}>{t('common.refresh')}</Button>
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="account-create">{t('accounts.create')}</Button>
        </Space>
      </Space>
      {actionError ? <div style={{ marginBottom: 16 }}><ErrorAlert error={actionError} /></div> : null}
      <Table<Account>
        rowKey="id"
        dataSource={rows}
        data-testid="accounts-table"
        pagination={{ pageSize: 20, showSizeChanger: true, hideOnSinglePage: false }}
        locale={{ emptyText: <Empty description={t('accounts.emptyStaff')} /> }}
        scroll={{ x: 1100 }}
        columns={[
          { title: t('accounts.username'), dataIndex: 'username', sorter: (a, b) => a.username.localeCompare(b.username), render: (value: string, account) => <Space orientation="vertical" size={0}><Typography.Text strong>{value}</Typography.Text><CopyableId value={account.id} length={10} /></Space> },
          { title: t('accounts.displayName'), dataIndex: 'displayName', sorter: (a, b) => a.displayName.localeCompare(b.displayName, 'zh-CN') },
          {
            title: t('accounts.roles'),
            dataIndex: 'roles',
            filters: allRoles.map((role) => ({ text: t(`common.roles.${role}`), value: role })),
            onFilter: (value, account) => account.roles.includes(value as Role),
            render: (roles: string[]) => <RoleTags roles={roles} />,
          },
          {
            title: t('accounts.status'),
            dataIndex: 'status',
            filters: [
              { text: t('accounts.active'), value: 'active' },
              { text: t('accounts.disabled'), value: 'disabled' },
            ],
            onFilter: (value, account) => account.status === value,
            render: (status: string, account) => (
              <Space orientation="vertical" size={0}>
                <Tag color={status === 'active' ? 'green' : 'default'}>{t(`accounts.${status}`)}</Tag>
                {account.lockedUntil && new Date(account.lockedUntil) > new Date() ? <Typography.Text type="warning">{t('accounts.lockedUntil', { time: formatTime(account.lockedUntil) })}</Typography.Text> : null}
              </Space>
            ),
          },
          {
            title: t('accounts.secondFactor'),
            key: 'secondFactor',
            render: (_, account) =>
              !account.secondFactorRequired ? (
                <Typography.Text type="secondary">{t('accounts.secondFactorNotRequired')}</Typography.Text>
              ) : account.secondFactorEnrolled ? (
                <Tag color="green">{t('accounts.secondFactorEnrolled')}</Tag>
              ) : (
                <Tag color="orange">{t('accounts.secondFactorPending')}</Tag>
              ),
          },
          { title: t('accounts.createdAt'), dataIndex: 'createdAt', sorter: (a, b) => a.createdAt.localeCompare(b.createdAt), defaultSortOrder: 'descend', render: (value: string) => <Time value={value} /> },
          {
            title: t('common.actions'),
            key: 'actions',
            fixed: 'right',
            render: (_, account) => {
              const self = me?.id === account.id;
              return (
                <Space size={0} wrap>
                  <Button type="link" size="small" disabled={self} onClick={() => setEditing(account)} data-testid={`account-roles-${account.username}`}>{t('accounts.editRoles')}</Button>
                  {account.status === 'active' ? (
                    <Popconfirm title={t('accounts.disableConfirm', { username: account.username })} okText={t('accounts.disable')} cancelText={t('common.cancel')} onConfirm={() => act.mutateAsync({ account, action: 'disable' }).catch(() => undefined)} disabled={self}>
                      <Button type="link" size="small" danger disabled={self} data-testid={`account-disable-${account.username}`}>{t('accounts.disable')}</Button>
                    </Popconfirm>
                  ) : (
                    <Popconfirm title={t('accounts.enableConfirm', { username: account.username })} okText={t('accounts.enable')} cancelText={t('common.cancel')} onConfirm={() => act.mutateAsync({ account, action: 'enable' }).catch(() => undefined)}>
                      <Button type="link" size="small" data-testid={`account-enable-${account.username}`}>{t('accounts.enable')}</Button>
                    </Popconfirm>
                  )}
                  <Button type="link" size="small" disabled={self} onClick={() => setResetting(account)} data-testid={`account-password-${account.username}`}>{t('accounts.resetPassword')}</Button>
                  {account.secondFactorRequired ? (
                    <Popconfirm title={t('accounts.reset2faConfirm', { username: account.username })} okText={t('accounts.reset2fa')} cancelText={t('common.cancel')} onConfirm={() => act.mutateAsync({ account, action: 'reset-2fa' }).catch(() => undefined)} disabled={self}>
                      <Button type="link" size="small" disabled={self} data-testid={`account-reset-${account.username}`}>{t('accounts.reset2fa')}</Button>
                    </Popconfirm>
                  ) : null}
                </Space>
              );
            },
          },
        ]}
      />
      <CreateAccountModal open={creating} onClose={() => setCreating(false)} onSecret={onSecret} />
      <EditRolesModal account={editing} onClose={() => setEditing(null)} onSecret={onSecret} />
      <ResetPasswordModal account={resetting} onClose={() => setResetting(null)} />
    </>
  );
}

interface CreateTokenValues {
  name: string;
  roles: Role[];
  expiresAt?: Dayjs | null;
}

function tokenState(token: ApiToken): 'valid' | 'revoked' | 'expired' {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && new Date(token.expiresAt) <= new Date()) return 'expired';
  return 'valid';
}

function ApiTokens({ onSecret }: { onSecret: (secret: OneTimeSecret) => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<CreateTokenValues>();
  const [creating, setCreating] = useState(false);
  const [formError, setFormError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const tokens = useQuery({ queryKey: ['tokens'], queryFn: () => ok(client.GET('/api/v1/tokens')) });

  const create = useMutation({
    mutationFn: (values: CreateTokenValues) =>
      ok(client.POST('/api/v1/tokens', { body: { name: values.name.trim(), roles: values.roles, ...(values.expiresAt ? { expiresAt: values.expiresAt.toDate().toISOString() } : {}) } })),
    onSuccess: async (created) => {
      await queryClient.invalidateQueries({ queryKey: ['tokens'] });
      void message.success(t('accounts.tokens.created', { name: created.token.name }));
      setCreating(false);
      form.resetFields();
      onSecret({ title: t('accounts.tokens.secretTitle', { name: created.token.name }), notice: t('accounts.tokens.secretOnce'), label: t('accounts.tokens.secretLabel'), secret: created.secret });
    },
    onError: (error) => {
      if (!placeError(form, error, t, 'name')) setFormError(error);
    },
  });
  const revoke = useMutation({
    mutationFn: (token: ApiToken) => ok(client.DELETE('/api/v1/tokens/{id}', { params: { path: { id: token.id } } })),
    onSuccess: async (token) => {
      setActionError(null);
      await queryClient.invalidateQueries({ queryKey: ['tokens'] });
      void message.success(t('accounts.tokens.revokedDone', { name: token.name }));
    },
    onError: (error) => setActionError(error),
  });

  if (tokens.isPending) return <Skeleton active paragraph={{ rows: 4 }} />;
  if (tokens.isError) return <ErrorAlert error={tokens.error} onRetry={() => void tokens.refetch()} />;

  return (
    <>
      <Space style={{ marginBottom: 16, width: '100%', justifyContent: 'flex-end' }}>
        <Button icon={<ReloadOutlined />} onClick={() => void tokens.refetch()} loading={tokens.isFetching}>{t('common.refresh')}</Button>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => { setFormError(null); setCreating(true); }} data-testid="token-create">{t('accounts.tokens.create')}</Button>
      </Space>
      {actionError ? <div style={{ marginBottom: 16 }}><ErrorAlert error={actionError} /></div> : null}
      <Table<ApiToken>
        rowKey="id"
        dataSource={tokens.data.tokens}
        data-testid="tokens-table"
        pagination={{ pageSize: 20, showSizeChanger: true }}
        locale={{ emptyText: <Empty description={t('accounts.tokens.empty')} /> }}
        scroll={{ x: 1000 }}
        columns={[
          { title: t('accounts.tokens.name'), dataIndex: 'name', sorter: (a, b) => a.name.localeCompare(b.name, 'zh-CN'), render: (value: string, token) => <Space orientation="vertical" size={0}><Typography.Text strong>{value}</Typography.Text><CopyableId value={token.id} length={10} /></Space> },
          { title: t('accounts.tokens.roles'), dataIndex: 'roles', render: (roles: string[]) => <RoleTags roles={roles} /> },
          {
            title: t('accounts.tokens.state'),
            key: 'state',
            filters: (['valid', 'revoked', 'expired'] as const).map((state) => ({ text: t(`accounts.tokens.${state}`), value: state })),
            onFilter: (value, token) => tokenState(token) === value,
            render: (_, token) => {
              const state = tokenState(token);
              return <Tag color={state === 'valid' ? 'green' : state === 'revoked' ? 'red' : 'default'}>{t(`accounts.tokens.${state}`)}</Tag>;
            },
          },
          { title: t('accounts.createdBy'), dataIndex: 'createdBy' },
          { title: t('accounts.createdAt'), dataIndex: 'createdAt', sorter: (a, b) => a.createdAt.localeCompare(b.createdAt), defaultSortOrder: 'descend', render: (value: string) => <Time value={value} /> },
          { title: t('accounts.tokens.expiresAt'), dataIndex: 'expiresAt', render: (value: string | null) => (value ? <Time value={value} /> : t('accounts.tokens.never')) },
          { title: t('accounts.tokens.lastUsedAt'), dataIndex: 'lastUsedAt', render: (value: string | null) => (value ? <Time value={value} /> : <Typography.Text type="secondary">{t('accounts.tokens.neverUsed')}</Typography.Text>) },
          {
            title: t('common.actions'),
            key: 'actions',
            fixed: 'right',
            render: (_, token) =>
              token.revokedAt ? null : (
                <Popconfirm title={t('accounts.tokens.revokeConfirm', { name: token.name })} okText={t('accounts.tokens.revoke')} cancelText={t('common.cancel')} onConfirm={() => revoke.mutateAsync(token).catch(() => undefined)}>
                  <Button type="link" size="small" danger>{t('accounts.tokens.revoke')}</Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      <Modal
        open={creating}
        title={t('accounts.tokens.createTitle')}
        onCancel={() => setCreating(false)}
        okText={t('common.submit')}
        cancelText={t('common.cancel')}
        confirmLoading={create.isPending}
        onOk={() => form.submit()}
        destroyOnHidden
      >
        {formError ? <div style={{ marginBottom: 16 }}><ErrorAlert error={formError} /></div> : null}
        <Form
          form={form}
          layout="vertical"
          name="create-token"
          onFinish={(values) => {
            setFormError(null);
            create.mutate(values);
          }}
        >
          <Form.Item name="name" label={t('accounts.tokens.name')} rules={[{ required: true, whitespace: true, max: 100, message: t('accounts.tokens.nameRequired') }]}>
            <Input autoComplete="off" />
          </Form.Item>
          <Form.Item name="roles" label={t('accounts.tokens.roles')} extra={t('accounts.tokens.rolesHelp')} rules={[{ required: true, type: 'array', min: 1, message: t('accounts.rolesRequired') }]}>
            <RoleChoice disabledRoles={tokenForbidden} />
          </Form.Item>
          <Form.Item
            name="expiresAt"
            label={t('accounts.tokens.expiresAt')}
            rules={[{ validator: (_, value: Dayjs | null | undefined) => (!value || value.toDate() > new Date() ? Promise.resolve() : Promise.reject(new Error(t('accounts.tokens.pastDate')))) }]}
          >
            <DatePicker showTime style={{ width: '100%' }} placeholder={t('accounts.tokens.never')} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

export function AccountsPage() {
  const { t } = useTranslation();
  const [secret, setSecret] = useState<OneTimeSecret | null>(null);
  return (
    <Card title={t('accounts.title')}>
      <Typography.Paragraph type="secondary">{t('accounts.subtitle')}</Typography.Paragraph>
      <Tabs
        items={[
          { key: 'staff', label: t('accounts.tabStaff'), children: <StaffAccounts onSecret={setSecret} /> },
          { key: 'tokens', label: t('accounts.tabTokens'), children: <ApiTokens onSecret={setSecret} /> },
        ]}
      />
      <SecretModal secret={secret} onClose={() => setSecret(null)} />
    </Card>
  );
}
