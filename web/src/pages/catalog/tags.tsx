/** Small shared pieces of the catalogue screens: sharing and grade tags, dataset links. */
import { Tag } from 'antd';
import { useTranslation } from 'react-i18next';

export type SharingType = 'unconditional' | 'conditional' | 'none';
export type DataGrade = 'general' | 'important' | 'core';

export const sharingTypes: readonly SharingType[] = ['unconditional', 'conditional', 'none'];
export const dataGrades: readonly DataGrade[] = ['general', 'important', 'core'];

const sharingColour: Record<SharingType, string> = { unconditional: 'green', conditional: 'gold', none: 'default' };
const gradeColour: Record<DataGrade, string> = { general: 'blue', important: 'orange', core: 'red' };

export function SharingTag({ type }: { type: SharingType }) {
  const { t } = useTranslation();
  return <Tag color={sharingColour[type]}>{t(`catalog.sharingTypes.${type}`)}</Tag>;
}

export function GradeTag({ grade }: { grade: DataGrade }) {
  const { t } = useTranslation();
  return <Tag color={gradeColour[grade]}>{t(`catalog.grades.${grade}`)}</Tag>;
}

/** The console path of a dataset id `<provider>/<slug>`. */
export function datasetPath(id: string): string {
  return `/catalog/${id.split('/').map(encodeURIComponent).join('/')}`;
}
