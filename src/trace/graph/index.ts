// Time-sequence graphs (tcptrace / Stevens style), RTT, throughput and
// congestion-window plots, as SVG.

export {
  analyze,
  throughput,
  dataSender,
  tsgInputFromFlow,
  tsgInputFromEvents,
  type TsgInput,
  type TsgSegment,
  type CwndSample,
  type TsgAnalysis,
  type DataMark,
  type AckPoint,
  type SackMark,
  type RttSample,
  type ThroughputBucket,
} from './analysis.js';
export { timeSequenceSvg, graphsSvg, connectionPlots, type TsgOptions } from './tsg.js';
export { parseCwndJson, type CwndParse } from './cwnd.js';
