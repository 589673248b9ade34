/**
 * A small Apache ECharts wrapper for every screen: tree-shaken (only the charts and components
 * registered below reach the bundle), canvas-rendered, resized with its container, disposed on
 * unmount, in the reader's language, described for screen readers (an accessible label plus
 * ECharts' own generated description), and drawn without animation for a reader who asked their
 * system for reduced motion.
 *
 * `<Chart option={...} label="质量评分趋势" height={280} onClick={(p) => ...} />`. Screens that
 * need a chart or component not registered here import it and call `echarts.use([...])` once.
 */
import { BarChart, LineChart, PieChart, RadarChart } from 'echarts/charts';
import {
  AriaComponent,
  DatasetComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef, type CSSProperties } from 'react';
import { useTranslation } from 'react-i18next';
import { usePrefersReducedMotion } from '../layout/reduced-motion';

echarts.use([
  LineChart,
  BarChart,
  PieChart,
  RadarChart,
  AriaComponent,
  DatasetComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  CanvasRenderer,
]);

export { echarts };
export type ChartOption = echarts.EChartsCoreOption;

/** What a click on a data item reports (series, name, index, value). */
export interface ChartClick {
  readonly seriesName?: string;
  readonly name: string;
  readonly dataIndex: number;
  readonly value: unknown;
}

export interface ChartProps {
  readonly option: ChartOption;
  /** What the chart shows, for screen readers and as a tooltip on the figure. */
  readonly label: string;
  readonly height?: number | string;
  readonly style?: CSSProperties;
  readonly onClick?: (item: ChartClick) => void;
  readonly 'data-testid'?: string;
}

export function Chart({ option, label, height = 300, style, onClick, 'data-testid': testId }: ChartProps) {
  const { i18n } = useTranslation();
  const animation = !usePrefersReducedMotion();
  const container = useRef<HTMLDivElement>(null);
  const instance = useRef<echarts.ECharts | null>(null);
  const latestOption = useRef(option);
  const latestClick = useRef(onClick);
  const latestAnimation = useRef(animation);
  latestOption.current = option;
  latestAnimation.current = animation;
  latestClick.current = onClick;

  // One instance per language (ECharts' built-in texts follow the reader's language).
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const chart = echarts.init(element, undefined, { renderer: 'canvas', locale: i18n.language === 'en' ? 'EN' : 'ZH' });
    instance.current = chart;
    chart.setOption({ aria: { enabled: true }, animation: latestAnimation.current, ...latestOption.current }, { notMerge: true });
    chart.on('click', (params) => {
      const item = params as unknown as ChartClick;
      latestClick.current?.({ seriesName: item.seriesName, name: item.name, dataIndex: item.dataIndex, value: item.value });
    });
    const observer = new ResizeObserver(() => chart.resize());
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.dispose();
      instance.current = null;
    };
  }, [i18n.language]);

  useEffect(() => {
    instance.current?.setOption({ aria: { enabled: true }, animation, ...option }, { notMerge: true });
  }, [option, animation]);

  // The figure carries the screen's label; ECharts writes its generated description of the data
  // (series, values) as the label of the inner canvas holder.
  return (
    <div role="figure" aria-label={label} data-testid={testId} style={{ width: '100%', ...style }}>
      <div ref={container} style={{ width: '100%', height, cursor: onClick ? 'pointer' : undefined }} />
    </div>
  );
}
