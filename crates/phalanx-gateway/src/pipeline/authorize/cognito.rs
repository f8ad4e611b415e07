//! Cognito user pool authorizers (`COGNITO_USER_POOLS`): the token in the
//! identity source (the `Authorization` header by default) must be an
//! RS256 JWT signed by one of the authorizer's user pools — checked here
//! against the JWKS given to [`super::LocalAuth::with_jwks`] — unexpired,
//! issued by `https://cognito-idp.REGION.amazonaws.com/POOL_ID`, and:
//!
//! - for a method without `AuthorizationScopes`, an ID token
//!   (`token_use: id`);
//! - for a method with scopes, an access token (`token_use: access`) whose
//!   `scope` claim holds at least one of them.
//!
//! Sources: the developer guide, "Control access to REST APIs using Amazon
//! Cognito user pools as an authorizer" (ID tokens for identity claims,
//! access tokens for scopes); an AWS answer on re:Post ("If there are no
//! scopes defined the API Gateway Cognito Authorizer will require the ID
//! Token", question QUrEQW0PtJTZm34jx0UrnLlw; an access token refused
//! with 401 where no scopes are set, amazon-cognito-identity-js#274).
//! Every refusal is 401 `UNAUTHORIZED` `{"message":"Unauthorized"}`,
//! except an expired token: `401,{"message":"The incoming token has
//! expired"}` (recorded in aws-amplify/amplify-js#6060; its response type
//! is not documented, UNAUTHORIZED is assumed).
//!
//! The verified claims become `$context.authorizer.claims` (and the proxy
//! event's `requestContext.authorizer.claims`), every value a string as AWS
//! passes them: numbers and booleans printed, `exp` and `iat` as Java dates
//! (`Fri Jul 29 18:52:53 UTC 2016`), both recorded in
//! amazon-archives/amazon-cognito-identity-js#92 and reported in
//! awsdocs/amazon-api-gateway-developer-guide#158; arrays joined with
//! commas (as `cognito:groups` is read in aws/chalice#783; not a
//! recording).

use super::{LocalAuth, pool_id};
use crate::model::Authorizer;
use crate::pipeline::{GatewayError, ResponseType};
use crate::vtl::AuthorizerContext;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value as Json};
use std::time::{SystemTime, UNIX_EPOCH};

const UNAUTHORIZED: &str = "Unauthorized";
const EXPIRED: &str = "The incoming token has expired";

fn refuse(detail: impl Into<String>) -> GatewayError {
    GatewayError::new(ResponseType::Unauthorized, UNAUTHORIZED).with_detail(detail)
}

/// Checks the request's token against `authorizer`'s user pools; on
/// success returns what `$context.authorizer` and the proxy event's
/// `requestContext.authorizer` show (`{"claims": {…}}`).
pub(crate) fn authorize(
    auth: &LocalAuth,
    authorizer: &Authorizer,
    scopes: &[String],
    headers: &[(String, String)],
    now: SystemTime,
) -> Result<AuthorizerContext, GatewayError> {
    // Cognito authorizers read one header (`method.request.header.NAME`).
    let source = authorizer
        .identity_source
        .as_deref()
        .unwrap_or("method.request.header.Authorization");
    let header = source
        .trim()
        .strip_prefix("method.request.header.")
        .unwrap_or("Authorization");
    let token = headers
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case(header))
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| refuse(format!("no {header} header")))?;
    if let Some(expression) = authorizer
        .identity_validation_expression
        .as_deref()
        .filter(|e| !e.is_empty())
    {
        // Anchored: the whole token must match, as a Java `matches`.
        let matches = fancy_regex::Regex::new(&format!("^(?:{expression})$"))
            .ok()
            .and_then(|r| r.is_match(token).ok())
            .unwrap_or(false);
        if !matches {
            return Err(refuse(
                "the token does not match IdentityValidationExpression",
            ));
        }
    }

    let header =
        jsonwebtoken::decode_header(token).map_err(|e| refuse(format!("not a JWT: {e}")))?;
    if header.alg != Algorithm::RS256 {
        return Err(refuse(format!("alg {:?}, not RS256", header.alg)));
    }
    let kid = header.kid.as_deref().unwrap_or("");

    // The pool whose JWKS holds the token's key, with its issuer.
    let mut known = false;
    let mut verified = None;
    for arn in &authorizer.provider_arns {
        let id = pool_id(arn);
        let Some(keys) = auth.user_pool(id) else {
            continue;
        };
        known = true;
        let Some((_, key)) = keys.iter().find(|(k, _)| k == kid) else {
            continue;
        };
        // The issuer's region is the ARN's (`arn:aws:cognito-idp:REGION:…`);
        // a bare pool id starts with it (`eu-west-1_AbC`).
        let region = match arn.strip_prefix("arn:") {
            Some(rest) => rest.split(':').nth(2).unwrap_or(""),
            None => id.split('_').next().unwrap_or(""),
        };
        let issuer = format!("https://cognito-idp.{region}.amazonaws.com/{id}");
        verified = Some(check(token, key, &issuer, now)?);
        break;
    }
    if !known {
        return Err(refuse(format!(
            "no JWKS for the user pools of authorizer {:?} (pass --jwks POOL_ID=FILE)",
            authorizer.name
        )));
    }
    let claims = verified.ok_or_else(|| refuse(format!("no key {kid:?} in the pools' JWKS")))?;

    let token_use = claims.get("token_use").and_then(Json::as_str).unwrap_or("");
    if scopes.is_empty() {
        if token_use != "id" {
            return Err(refuse(format!(
                "token_use {token_use:?}: a method without scopes takes ID tokens"
            )));
        }
    } else {
        if token_use != "access" {
            return Err(refuse(format!(
                "token_use {token_use:?}: a method with scopes takes access tokens"
            )));
        }
        let granted = claims.get("scope").and_then(Json::as_str).unwrap_or("");
        if !granted.split(' ').any(|s| scopes.iter().any(|m| m == s)) {
            return Err(refuse(format!(
                "scope {granted:?} has none of the method's {scopes:?}"
            )));
        }
    }
    Ok(AuthorizerContext {
        claims: stringify(claims),
        ..AuthorizerContext::default()
    })
}

/// Verifies signature, expiry and issuer; returns the claims.
fn check(
    token: &str,
    key: &DecodingKey,
    issuer: &str,
    now: SystemTime,
) -> Result<Map<String, Json>, GatewayError> {
    let mut validation = Validation::new(Algorithm::RS256);
    // Expiry is checked below against the request's time (no leeway); ID
    // tokens carry their app client as `aud`, which AWS does not check.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.set_issuer(&[issuer]);
    let data = jsonwebtoken::decode::<Map<String, Json>>(token, key, &validation)
        .map_err(|e| refuse(format!("token refused: {e}")))?;
    let claims = data.claims;
    let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    match claims.get("exp").and_then(Json::as_u64) {
        Some(exp) if exp > now => Ok(claims),
        Some(_) => Err(GatewayError::new(ResponseType::Unauthorized, EXPIRED)
            .with_detail("the token's exp has passed")),
        None => Err(refuse("the token has no exp")),
    }
}

/// The claims as AWS passes them: every value a string.
fn stringify(claims: Map<String, Json>) -> indexmap::IndexMap<String, String> {
    claims
        .into_iter()
        .map(|(name, value)| {
            let text = match (&*name, &value) {
                ("exp" | "iat", Json::Number(n)) => match n.as_u64() {
                    Some(secs) => crate::clock::java_date(secs),
                    None => n.to_string(),
                },
                (_, Json::String(s)) => s.clone(),
                (_, Json::Array(items)) => items
                    .iter()
                    .map(|i| match i {
                        Json::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                (_, other) => other.to_string(),
            };
            (name, text)
        })
        .collect()
}
