// Call accounting for the OpenStack simulator (and the real-tier proxy): the shared log (../common/calls.ts),
// each record labelled by the service it went to.
import { CallLog as SharedCallLog, type CallFilterOf, type CallRecordBase } from '../common/calls.ts';

export { queryRecord, type CallFault } from '../common/calls.ts';

/** `operation`: `<collection>.<list|show|create|update|delete>`, `tokens.issue`, `createServer`, ... */
export type CallRecord = CallRecordBase & { service: string };

export type CallFilter = CallFilterOf<CallRecord>;

export class CallLog extends SharedCallLog<CallRecord> {}
