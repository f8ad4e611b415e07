//! Stage 3, method request: the request validator's checks.
//!
//! - Required parameters (when the validator validates parameters): every
//!   required one present and not blank, else 400 `Missing required
//!   request parameters: [a, b]`, names sorted by their full
//!   `method.request.*` name (LocalStack's AWS-validated
//!   `method_request.py`).
//! - Body (when the validator validates the body): checked against the
//!   method's `application/json` model (`$default`, then the built-in
//!   `Empty`), an empty body as `{}`; else 400 `Invalid request body`.

use super::{Exchange, GatewayError, ResponseType};
use crate::compile::CompiledMethod;
use crate::mapping::Location;

/// Runs the validator's checks.
pub(crate) fn validate(x: &Exchange<'_>, method: &CompiledMethod) -> Result<(), GatewayError> {
    let (path, query, headers) = (x.path(), x.query(), x.headers());
    let body: &[u8] = &x.request.body;
    if method.validate_parameters {
        let present = |list: &[(String, String)], name: &str, fold: bool| {
            list.iter().any(|(k, v)| {
                (if fold {
                    k.eq_ignore_ascii_case(name)
                } else {
                    k == name
                }) && !v.trim().is_empty()
            })
        };
        let missing: Vec<&str> = method
            .required_parameters
            .iter()
            .filter(|(loc, name)| match loc {
                Location::Path => !present(path, name, false),
                Location::QueryString => !present(query, name, false),
                Location::Header => !present(headers, name, true),
            })
            .map(|(_, name)| name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(GatewayError::new(
                ResponseType::BadRequestParameters,
                &format!(
                    "Missing required request parameters: [{}]",
                    missing.join(", ")
                ),
            ));
        }
    }
    if let Some(schema) = &method.body_schema {
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            &b"{}"[..]
        } else {
            body
        };
        let valid = match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(doc) => match schema.validate(&doc) {
                Ok(()) => Ok(()),
                Err(e) => Err(e.to_string()),
            },
            Err(e) => Err(format!("the body is not JSON: {e}")),
        };
        if let Err(why) = valid {
            let mut err = GatewayError::new(ResponseType::BadRequestBody, "Invalid request body")
                .with_detail(why.clone());
            err.validation = Some(why);
            return Err(err);
        }
    }
    Ok(())
}
