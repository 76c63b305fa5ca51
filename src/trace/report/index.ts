// The HTML report: ladders, state timelines, graphs and tcpdump lines in one
// self-contained page.

export { htmlReport, type ReportInput, type ReportConnection } from './html.js';
export {
  captureReport,
  captureConnections,
  type CaptureReportOptions,
  type CaptureConnection,
  type CaptureConnections,
  type CaptureConnectionsOptions,
} from './capture.js';
