//! API keys. A method with `ApiKeyRequired` needs an `x-api-key` header
//! holding an enabled key whose usage plan covers the stage; otherwise 403
//! `{"message":"Forbidden"}` (gateway response `INVALID_API_KEY`, AWS
//! developer guide "Choose an API key source").

use crate::compile::{CompiledApi, CompiledMethod};
use crate::pipeline::{GatewayError, ResponseType};
use crate::vtl::Identity;

/// Checks the API key; on success records it in `$context.identity`.
/// With `ApiKeySourceType: AUTHORIZER` the key is the Lambda authorizer's
/// `usageIdentifierKey` (`from_authorizer`), not the `x-api-key` header
/// (developer guide, "Choose an API key source").
pub(crate) fn check_api_key(
    api: &CompiledApi,
    method: &CompiledMethod,
    headers: &[(String, String)],
    from_authorizer: Option<&str>,
    identity: &mut Identity,
) -> Result<(), GatewayError> {
    if !method.api_key_required {
        return Ok(());
    }
    let key = if api.api_key_from_authorizer {
        from_authorizer
    } else {
        headers
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-api-key"))
            .map(|(_, v)| v.as_str())
    };
    match key.and_then(|k| api.api_keys.get(k).map(|name| (k, name))) {
        Some((value, name)) => {
            identity.api_key = value.to_string();
            identity.api_key_id = crate::ids::local_id(name);
            Ok(())
        }
        None => Err(
            GatewayError::new(ResponseType::InvalidApiKey, "Forbidden").with_detail(match key {
                None if api.api_key_from_authorizer => {
                    "the method requires an API key and the authorizer returned no usageIdentifierKey"
                }
                None => "the method requires an API key and the request has no x-api-key header",
                Some(_) => {
                    "the API key holds no enabled key of a usage plan for this stage"
                }
            }),
        ),
    }
}
