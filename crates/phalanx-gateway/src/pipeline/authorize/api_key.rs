//! API keys. A method with `ApiKeyRequired` needs an `x-api-key` header
//! holding an enabled key whose usage plan covers the stage; otherwise 403
//! `{"message":"Forbidden"}` (gateway response `INVALID_API_KEY`, AWS
//! developer guide "Choose an API key source").

use crate::compile::{CompiledApi, CompiledMethod};
use crate::pipeline::{GatewayError, ResponseType};
use crate::vtl::Identity;

/// Checks the API key; on success records it in `$context.identity`.
pub(crate) fn check_api_key(
    api: &CompiledApi,
    method: &CompiledMethod,
    headers: &[(String, String)],
    identity: &mut Identity,
) -> Result<(), GatewayError> {
    if !method.api_key_required {
        return Ok(());
    }
    let key = headers
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-api-key"))
        .map(|(_, v)| v.as_str());
    match key.and_then(|k| api.api_keys.get(k).map(|name| (k, name))) {
        Some((value, name)) => {
            identity.api_key = value.to_string();
            identity.api_key_id = crate::ids::local_id(name);
            Ok(())
        }
        None => Err(
            GatewayError::new(ResponseType::InvalidApiKey, "Forbidden").with_detail(match key {
                None => "the method requires an API key and the request has no x-api-key header",
                Some(_) => {
                    "the x-api-key header holds no enabled key of a usage plan for this stage"
                }
            }),
        ),
    }
}
