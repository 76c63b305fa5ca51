// Ladder diagrams (RFC 793 / RFC 9293 §3.5 notation) as text and SVG, from
// scenario events or from a capture, and the time-sequence graph.

export type { LadderEvent, LadderOptions, LadderSvgOptions, SegmentEvent, Side, StateEvent, TimerEvent } from './types.js';
export { ladderText } from './text.js';
export { ladderRows, segmentText, seqView, displayState, ctlNames, RFC_ISN, type LadderRow } from './layout.js';
export { eventsFromCapture, eventsFromFlow, type CaptureEventsOptions } from './infer.js';
export { tcpFlows, sackBlocks, endpointText, recordMicros, type TcpFlow, type FlowPacket, type FlowsResult, type Endpoint } from './flows.js';
export { ladderSvg } from './svg.js';
export { timeSequenceSvg, graphsSvg, tsgInputFromEvents, tsgInputFromFlow, type TsgInput, type TsgOptions, type CwndSample } from '../graph/index.js';
export { stateTimelineSvg, stateSpans, stateColor, type StateSpan, type TimelineOptions } from './timeline.js';
export { htmlReport, type ReportInput, type ReportConnection } from '../report/html.js';
