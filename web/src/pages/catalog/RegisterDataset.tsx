/**
 * Registering a dataset (stewards): the core metadata of the cataloguing guide as a form,
 * checked before sending; the server's complaint is put next to the field its path names.
 */
import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Col, Divider, Form, Input, Modal, Row, Select, Space } from 'antd';
import type { FormInstance } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { ApiError, client, ok } from '../../api/client';
import { ErrorAlert } from '../../components/ErrorAlert';
import { dataGrades, datasetPath, sharingTypes, type DataGrade, type SharingType } from './tags';

const itemTypes = ['string', 'integer', 'number', 'boolean', 'date', 'datetime'] as const;
const updateCycles = ['realtime', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly', 'irregular'] as const;

interface ItemValues {
  name: string;
  title?: string;
  type: (typeof itemTypes)[number];
  dataElement?: string;
}

interface DatasetValues {
  id: string;
  code: string;
  name: string;
  abstract: string;
  providerName?: string;
  format?: string;
  items: ItemValues[];
  keyFields: string[];
  sharing: { type: SharingType; condition?: string; legalBasis?: string; method?: string };
  updateCycle: (typeof updateCycles)[number];
  publishedOn?: string;
  grade: DataGrade;
}

/** Drops empty optional strings so the document carries only what the person filled in. */
function documentOf(values: DatasetValues): Record<string, unknown> {
  const clean = (value: string | undefined) => (value && value.trim() ? value.trim() : undefined);
  const strip = <T extends Record<string, unknown>>(object: T) => Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
  return strip({
    id: values.id.trim(),
    code: values.code.trim(),
    name: values.name.trim(),
    abstract: values.abstract.trim(),
    providerName: clean(values.providerName),
    format: clean(values.format),
    items: values.items.map((item) => strip({ name: item.name.trim(), type: item.type, title: clean(item.title), dataElement: clean(item.dataElement) })),
    keyFields: values.keyFields,
    sharing: strip({
      type: values.sharing.type,
      condition: values.sharing.type === 'conditional' ? clean(values.sharing.condition) : undefined,
      legalBasis: values.sharing.type === 'unconditional' ? undefined : clean(values.sharing.legalBasis),
      method: clean(values.sharing.method),
    }),
    updateCycle: values.updateCycle,
    publishedOn: clean(values.publishedOn),
    grade: values.grade,
  });
}

/** `items[2].name` → ['items', 2, 'name']; list-valued fields (keyFields[0]) point at the list. */
function fieldNameOf(path: string): (string | number)[] {
  const name = path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((part) => part !== '')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  if (name[0] === 'keyFields' || name[0] === 'related') return [name[0]];
  return name;
}

function putServerError(form: FormInstance<DatasetValues>, error: unknown): boolean {
  if (!(error instanceof ApiError) || typeof error.details?.path !== 'string') return false;
  const name = fieldNameOf(error.details.path);
  if (name.length === 0 || name[0] === '(document)') return false;
  const known = ['id', 'code', 'name', 'abstract', 'providerName', 'format', 'items', 'keyFields', 'sharing', 'updateCycle', 'publishedOn', 'grade'];
  if (!known.includes(String(name[0]))) return false;
  form.setFields([{ name: name as never, errors: [error.message] }]);
  form.scrollToField(name as never);
  return true;
}

export function RegisterDataset({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<DatasetValues>();
  const [error, setError] = useState<unknown>(null);
  const items = Form.useWatch('items', form) ?? [];
  const sharing = Form.useWatch(['sharing', 'type'], form);

  const create = useMutation({
    mutationFn: (values: DatasetValues) => ok(client.POST('/api/v1/catalog/datasets', { body: documentOf(values) })),
    onSuccess: (dataset) => {
      void message.success(t('catalog.form.created', { name: dataset.name }));
      void queryClient.invalidateQueries({ queryKey: ['catalog'] });
      form.resetFields();
      setError(null);
      onClose();
      navigate(datasetPath(dataset.id));
    },
    onError: (caught) => {
      setError(caught);
      putServerError(form, caught);
    },
  });

  const required = (field: string) => ({ required: true, whitespace: true, message: t('catalog.form.required', { field }) });

  return (
    <Modal
      open={open}
      title={t('catalog.form.title')}
      width={900}
      okText={t('common.submit')}
      okButtonProps={{ loading: create.isPending, 'data-testid': 'register-submit' } as never}
      onOk={() => form.submit()}
      onCancel={onClose}
      forceRender
    >
      {error ? <div style={{ marginBottom: 16 }}><ErrorAlert error={error} /></div> : null}
      <Form<DatasetValues>
        form={form}
        name="register-dataset"
        layout="vertical"
        scrollToFirstError
        initialValues={{ items: [{ name: '', type: 'string' }], keyFields: [], sharing: { type: 'unconditional' }, updateCycle: 'daily', grade: 'general' }}
        onFinish={(values) => {
          setError(null);
          create.mutate(values);
        }}
      >
        <Row gutter={16}>
          <Col span={12}>
            <Form.Item name="name" label={t('catalog.name')} rules={[required(t('catalog.name')), { max: 200 }]}>
              <Input maxLength={200} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item
              name="id"
              label={t('catalog.form.slug')}
              extra={t('catalog.form.slugHelp')}
              rules={[required(t('catalog.form.slug')), { pattern: /^[a-z0-9-]{2,64}$/, message: t('catalog.form.slugInvalid') }]}
            >
              <Input maxLength={64} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item
              name="code"
              label={t('catalog.code')}
              extra={t('catalog.form.codeHelp')}
              rules={[required(t('catalog.code')), { pattern: /^[0-9]+(-[0-9]+)*$/, max: 64, message: t('catalog.form.codeInvalid') }]}
            >
              <Input maxLength={64} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="providerName" label={t('catalog.form.providerName')} extra={t('catalog.form.providerNameHelp')} rules={[{ max: 200 }]}>
              <Input maxLength={200} />
            </Form.Item>
          </Col>
          <Col span={24}>
            <Form.Item name="abstract" label={t('catalog.abstract')} rules={[required(t('catalog.abstract')), { max: 4000 }]}>
              <Input.TextArea rows={3} maxLength={4000} showCount />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="grade" label={t('catalog.grade')} rules={[{ required: true }]}>
              <Select options={dataGrades.map((value) => ({ value, label: t(`catalog.grades.${value}`) }))} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="updateCycle" label={t('catalog.updateCycle')} rules={[{ required: true }]}>
              <Select options={updateCycles.map((value) => ({ value, label: t(`catalog.updateCycles.${value}`) }))} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="format" label={t('catalog.format')} rules={[{ max: 50 }]}>
              <Input maxLength={50} placeholder="database" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name={['sharing', 'type']} label={t('catalog.sharing')} rules={[{ required: true }]}>
              <Select options={sharingTypes.map((value) => ({ value, label: t(`catalog.sharingTypes.${value}`) }))} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name={['sharing', 'method']} label={t('catalog.sharingMethod')} rules={[{ max: 200 }]}>
              <Input maxLength={200} placeholder="interface" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="publishedOn" label={t('catalog.publishedOn')} rules={[{ pattern: /^\d{4}-\d{2}-\d{2}$/, message: t('catalog.form.dateInvalid') }]}>
              <Input placeholder="2026-01-15" maxLength={10} />
            </Form.Item>
          </Col>
          {sharing === 'conditional' ? (
            <Col span={12}>
              <Form.Item name={['sharing', 'condition']} label={t('catalog.sharingCondition')} extra={t('catalog.form.conditionHelp')} rules={[required(t('catalog.sharingCondition')), { max: 2000 }]}>
                <Input.TextArea rows={2} maxLength={2000} />
              </Form.Item>
            </Col>
          ) : null}
          {sharing === 'conditional' || sharing === 'none' ? (
            <Col span={12}>
              <Form.Item name={['sharing', 'legalBasis']} label={t('catalog.legalBasis')} extra={t('catalog.form.legalBasisHelp')} rules={[required(t('catalog.legalBasis')), { max: 2000 }]}>
                <Input.TextArea rows={2} maxLength={2000} />
              </Form.Item>
            </Col>
          ) : null}
        </Row>
        <Divider titlePlacement="start">{t('catalog.items')}</Divider>
        <Form.List
          name="items"
          rules={[{ validator: async (_, value: unknown[] | undefined) => (value && value.length > 0 ? undefined : Promise.reject(new Error(t('catalog.form.itemsRequired')))) }]}
        >
          {(fields, { add, remove }, { errors }) => (
            <>
              {fields.map((field) => (
                <Space key={field.key} align="start" style={{ display: 'flex' }}>
                  <Form.Item
                    name={[field.name, 'name']}
                    style={{ width: 180 }}
                    rules={[required(t('catalog.itemName')), { pattern: /^[A-Za-z][A-Za-z0-9_]{0,62}$/, message: t('catalog.form.itemNameInvalid') }]}
                  >
                    <Input placeholder={t('catalog.itemName')} aria-label={t('catalog.itemName')} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'title']} rules={[{ max: 200 }]} style={{ width: 180 }}>
                    <Input placeholder={t('catalog.itemTitle')} aria-label={t('catalog.itemTitle')} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'type']} rules={[{ required: true }]} style={{ width: 130 }}>
                    <Select aria-label={t('catalog.itemType')} options={itemTypes.map((value) => ({ value, label: t(`catalog.itemTypes.${value}`) }))} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'dataElement']} rules={[{ pattern: /^[A-Za-z0-9._-]{1,64}$/, message: t('catalog.form.dataElementInvalid') }]} style={{ width: 140 }}>
                    <Input placeholder={t('catalog.dataElement')} aria-label={t('catalog.dataElement')} />
                  </Form.Item>
                  <Button type="text" icon={<MinusCircleOutlined />} onClick={() => remove(field.name)} aria-label={t('catalog.form.removeItem')} disabled={fields.length <= 1} />
                </Space>
              ))}
              <Form.ErrorList errors={errors} />
              <Button type="dashed" onClick={() => add({ name: '', type: 'string' })} icon={<PlusOutlined />} disabled={fields.length >= 500}>
                {t('catalog.form.addItem')}
              </Button>
            </>
          )}
        </Form.List>
        <Form.Item
          name="keyFields"
          label={t('catalog.keyFields')}
          extra={t('catalog.form.keyFieldsHelp')}
          style={{ marginTop: 16 }}
          rules={[{ required: true, type: 'array', min: 1, max: 4, message: t('catalog.form.keyFieldsRequired') }]}
        >
          <Select
            mode="multiple"
            maxCount={4}
            options={items.filter((item) => item?.name).map((item) => ({ value: item.name, label: item.title ? `${item.name}（${item.title}）` : item.name }))}
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}
