//! Stage 2, authorization: who may call the method, and how often. One
//! module per mechanism, in the order API Gateway applies them:
//!
//! - `api_key`: a method with `ApiKeyRequired` needs an enabled key of a
//!   usage plan that covers the stage.
//!
//! IAM, Cognito and Lambda authorizers and usage-plan limits are not
//! enforced locally yet.

mod api_key;

pub(crate) use api_key::check_api_key;
