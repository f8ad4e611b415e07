//! Stage 2, authorization: who may call the method. One module per
//! mechanism, in the order API Gateway applies them:
//!
//! - the method's authorizer, by its `AuthorizationType` ([`authorize`]):
//!   `CUSTOM` runs the Lambda authorizer (`lambda`, with its `policy`
//!   evaluation and result `cache`); `COGNITO_USER_POOLS` and `AWS_IAM`
//!   are not enforced locally yet (their modules go beside `lambda.rs`,
//!   called from the match in [`authorize`]);
//! - `api_key`: a method with `ApiKeyRequired` needs an enabled key of a
//!   usage plan that covers the stage. It runs after the authorizer
//!   because with `ApiKeySourceType: AUTHORIZER` the key is the
//!   authorizer's `usageIdentifierKey` (developer guide, "Choose an API
//!   key source").
//!
//! Usage-plan limits are not enforced locally yet.

mod api_key;
mod cache;
mod lambda;
mod policy;

pub(crate) use api_key::check_api_key;
pub(crate) use cache::AuthorizerCache;
pub(crate) use lambda::Authorized;

use crate::compile::{Authorization, CompiledMethod};
use crate::invoke::Invoker;
use crate::pipeline::{Exchange, GatewayError};
use std::time::SystemTime;

/// Runs the method's authorizer. `Ok(None)`: nothing to add to the
/// request (no authorizer, or a kind not enforced locally).
pub(crate) async fn authorize(
    x: &Exchange<'_>,
    method: &CompiledMethod,
    invoker: &dyn Invoker,
    cache: &AuthorizerCache,
    now: SystemTime,
) -> Result<Option<Authorized>, GatewayError> {
    match method.authorization {
        Authorization::None => Ok(None),
        Authorization::Lambda(index) => {
            let Some(authorizer) = x.api.authorizers.get(index) else {
                return Err(GatewayError::configuration(
                    "the method's authorizer is missing",
                ));
            };
            lambda::authorize(x, authorizer, index, invoker, cache, now)
                .await
                .map(Some)
        }
        // Another module each (cognito.rs, iam.rs); until then served
        // without a check, as the importers warn.
        Authorization::CognitoUserPools | Authorization::Iam => Ok(None),
    }
}
