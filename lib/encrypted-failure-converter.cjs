// Failure converter used with payload encryption: moves every failure's message and stack trace
// into an encoded payload, so the payload codec encrypts them like any other data.
// CommonJS on purpose: the SDK require()s this path in the worker and client processes and
// bundles it into the workflow sandbox, and plain CommonJS loads the same way in all of them.
'use strict';
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
