// synack's public entry point: the stack with its Node-style socket API, and
// the layers underneath as namespaces for those who need them.

export * from './api/index.js';
export { Stack, RealClock, type StackOptions, type InterfaceOptions, type Clock, type TimerHandle } from './stack/index.js';
export { profile, LINUX_PROFILE, BSD_PROFILE, HOST_PROFILE, type TcpConfig, type ProfileName } from './tcp/config.js';
export type { NetDevice } from './link/device.js';

export * as stack from './stack/index.js';
export * as tcp from './tcp/index.js';
export * as wire from './wire/index.js';
export * as sim from './sim/index.js';
export { readCapture, type CaptureFile } from './trace/read-capture.js';
export { writePcap, PcapWriter } from './trace/pcap.js';
export { TcpdumpPrinter } from './trace/print/printer.js';
export { defaultPrintOptions, type PrintOptions } from './trace/print/options.js';
