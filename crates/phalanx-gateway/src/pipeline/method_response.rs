//! Stage 7, method response: what the client receives. Header mappings
//! only reach headers the method response declares (checked when the API
//! is built, as AWS checks at deployment); here the headers AWS adds to
//! every response are set: `x-amzn-RequestId`, `x-amz-apigw-id`, and
//! `X-Amzn-Trace-Id` for Lambda integrations.

use super::{Exchange, GatewayReply};
use crate::model::IntegrationType;

/// Adds AWS's own headers; `kind` is the matched method's integration type
/// (none when no route matched).
pub(crate) fn finish(
    x: &Exchange<'_>,
    mut reply: GatewayReply,
    kind: Option<IntegrationType>,
) -> GatewayReply {
    let request_id = x.context.request_id.as_str();
    let extended_request_id = x.context.extended_request_id.as_str();
    reply
        .headers
        .push(("x-amzn-RequestId".into(), request_id.into()));
    reply
        .headers
        .push(("x-amz-apigw-id".into(), extended_request_id.into()));
    if matches!(kind, Some(IntegrationType::Aws | IntegrationType::AwsProxy)) {
        // `Root=1-XXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXX`, X-Ray's shape, from the
        // request id's hex digits.
        let mut trace = String::with_capacity(40);
        trace.push_str("Root=1-");
        for (i, part) in request_id.split('-').enumerate() {
            trace.push_str(part);
            if i == 0 {
                trace.push('-');
            }
        }
        reply.headers.push(("X-Amzn-Trace-Id".into(), trace));
    }
    reply
}
