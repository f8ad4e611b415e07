//! Stage 2, authorization: who may call the method, and how often. One
//! module per mechanism, in the order API Gateway applies them:
//!
//! - `api_key`: a method with `ApiKeyRequired` needs an enabled key of a
//!   usage plan that covers the stage.
//! - `usage_plan`: the key's usage plan throttling and quota, then the
//!   stage's per-method throttling (`MethodSettings`) for every caller;
//!   its token buckets are in `throttle`.
//!
//! IAM, Cognito and Lambda authorizers are not enforced locally yet.

mod api_key;
mod throttle;
pub(crate) mod usage_plan;

pub(crate) use api_key::check_api_key;
