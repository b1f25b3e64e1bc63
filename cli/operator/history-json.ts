// Workflow histories to and from the proto3 JSON that `temporal workflow show --output json`
// writes and the replayer reads.
//
// Why not `historyToJSON`/`historyFromJSON` from '@temporalio/common/lib/proto-utils'? With the
// dependency tree npm builds here, @temporalio/common and @temporalio/proto each get their own
// copy of protobufjs 8 (the hoisted one is protobufjs 7, for @grpc/proto-loader), and the SDK
// functions pass a type from one copy to the JSON codec of the other: they throw "type must be
// a Type". So does Worker.runReplayHistory when handed JSON. Here the codec is taken from the
// protobufjs that @temporalio/proto itself uses, which works whatever the layout.
import { createRequire } from 'node:module';
import type { temporal } from '@temporalio/proto';
import type { History } from '@temporalio/common/lib/proto-utils.js';

type ProtoType = { name: string };
interface ProtoJson {
  toJson(type: ProtoType, message: unknown): unknown;
  fromJson(type: ProtoType, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

// CommonJS modules, loaded with require (ESM named imports of them do not resolve under plain node).
const require = createRequire(import.meta.url);
const protoModule = require('@temporalio/proto') as { temporal: typeof temporal } & Record<string, unknown>;
const { patchProtobufRoot } = require('@temporalio/proto/lib/patch-protobuf-root') as {
  patchProtobufRoot<T extends Record<string, unknown>>(root: T): T;
};
const protojson = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(protoModule) as unknown as { lookupType(name: string): ProtoType }).lookupType(
  'temporal.api.history.v1.History',
);

/** JSON text of a history, as `historyToJSON` would give (event ids as strings, enums by name). */
export function historyToJson(history: History): string {
  return JSON.stringify(
    protojson.toJson(historyType, protoModule.temporal.api.history.v1.History.fromObject(history)),
    null,
    2,
  );
}

/** A history from its JSON form (proto3 JSON, or the older PascalCase enum spelling some tools wrote). */
export function historyFromJson(json: unknown): History {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events)) {
    throw new TypeError('expected an object with an array of events');
  }
  const events = (json as { events: Array<Record<string, unknown>> }).events.map(fixEvent);
  const loaded = protojson.fromJson(historyType, { events }, { ignoreUnknownFields: true });
  if (!loaded) throw new TypeError('not a workflow history');
  return loaded as History;
}

// The enum fix-ups of the SDK's historyFromJSON: `WorkflowExecutionStarted` → `EVENT_TYPE_WORKFLOW_EXECUTION_STARTED`.
function constantCase(text: string): string {
  return text.replace(/[^\b][A-Z]/g, (match) => `${match[0]}_${match[1]}`).toUpperCase();
}

function fixEnum(object: Record<string, unknown>, field: string, prefix: string): Record<string, unknown> {
  const value = object[field];
  if (typeof value !== 'string') return {};
  return { [field]: value.startsWith(prefix) ? value : `${prefix}_${constantCase(value)}` };
}

function fixEvent(event: Record<string, unknown>): Record<string, unknown> {
  const attributesKey = Object.keys(event).find((key) => key.endsWith('EventAttributes'));
  if (!attributesKey) throw new TypeError(`history event without attributes: ${JSON.stringify(event).slice(0, 200)}`);
  const attributes = event[attributesKey] as Record<string, unknown>;
  const taskQueue = attributes.taskQueue as Record<string, unknown> | undefined;
  const childFailure = attributes.childWorkflowExecutionFailureInfo as Record<string, unknown> | undefined;
  return {
    ...event,
    ...fixEnum(event, 'eventType', 'EVENT_TYPE'),
    [attributesKey]: {
      ...attributes,
      ...(taskQueue ? { taskQueue: { ...taskQueue, ...fixEnum(taskQueue, 'kind', 'TASK_QUEUE_KIND') } } : {}),
      ...fixEnum(attributes, 'parentClosePolicy', 'PARENT_CLOSE_POLICY'),
      ...fixEnum(attributes, 'workflowIdReusePolicy', 'WORKFLOW_ID_REUSE_POLICY'),
      ...fixEnum(attributes, 'initiator', 'CONTINUE_AS_NEW_INITIATOR'),
      ...fixEnum(attributes, 'retryState', 'RETRY_STATE'),
      ...(childFailure
        ? {
            childWorkflowExecutionFailureInfo: {
              ...childFailure,
              ...fixEnum(childFailure, 'retryState', 'RETRY_STATE'),
            },
          }
        : {}),
    },
  };
}
