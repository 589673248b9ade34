/**
 * Audit (auditor): the log's verification status (run on demand), the signed checkpoints and who
 * witnessed them, inclusion proofs of events and exchanges checked in the browser, and the event log.
 */
import { Col, Flex, Row, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CheckpointsCard } from './CheckpointsCard';
import { EventsCard } from './EventsCard';
import { ProofCard } from './ProofCard';
import { VerificationCard } from './VerificationCard';

export function AuditPage() {
  const { t } = useTranslation();
  const [proofRequest, setProofRequest] = useState<{ value: string; nonce: number } | null>(null);
  return (
    <Flex vertical gap={16}>
      <div>
        <Typography.Title level={3} style={{ marginTop: 0 }}>{t('audit.title')}</Typography.Title>
        <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>{t('audit.subtitle')}</Typography.Paragraph>
      </div>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <VerificationCard />
        </Col>
        <Col xs={24} xl={12}>
          <CheckpointsCard />
        </Col>
      </Row>
      <div id="audit-proof">
        <ProofCard request={proofRequest} />
      </div>
      <EventsCard
        onProve={(eventId) => {
          setProofRequest({ value: eventId, nonce: Date.now() });
          document.getElementById('audit-proof')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
        }}
      />
    </Flex>
  );
}
