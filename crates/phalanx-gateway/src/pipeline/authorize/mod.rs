//! Stage 2, authorization: who may call the method. One module per
//! mechanism, in the order API Gateway applies them:
//!
//! - the caller, by the method's `AuthorizationType`: `CUSTOM` runs the
//!   Lambda authorizer (`authorize`: `lambda`, with its `policy`
//!   evaluation and result `cache`); `AWS_IAM` needs a request signed with
//!   Signature Version 4 by a known access key (`iam`);
//!   `COGNITO_USER_POOLS` needs a user pool JWT that a locally supplied
//!   JWKS verifies (`cognito`);
//! - `api_key`: a method with `ApiKeyRequired` needs an enabled key of a
//!   usage plan that covers the stage. It runs after the authorizer
//!   because with `ApiKeySourceType: AUTHORIZER` the key is the
//!   authorizer's `usageIdentifierKey` (developer guide, "Choose an API
//!   key source");
//! - `usage_plan`: the key's usage plan throttling and quota, then the
//!   stage's per-method throttling (`MethodSettings`) for every caller;
//!   its token buckets are in `throttle`.
//!
//! What IAM and Cognito callers are checked against — access keys, user
//! pools' public keys, the region — is not in the API definition: it is
//! [`LocalAuth`], given to [`crate::Gateway::with_auth`].

mod api_key;
mod cache;
pub(crate) mod cognito;
pub(crate) mod iam;
pub(crate) mod lambda;
mod policy;
mod throttle;
pub(crate) mod usage_plan;

pub(crate) use api_key::check_api_key;
pub(crate) use cache::AuthorizerCache;
pub(crate) use lambda::Authorized;

use crate::compile::{Authorization, CompiledMethod};
use crate::invoke::Invoker;
use crate::pipeline::{Exchange, GatewayError};
use std::time::SystemTime;

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use std::collections::HashMap;
use std::fmt;

/// What the local gateway checks `AWS_IAM` and `COGNITO_USER_POOLS`
/// methods against, standing in for IAM and Cognito: access keys with
/// their secrets, user pools' public keys (JWKS), and the region requests
/// are signed for.
///
/// ```
/// use phalanx_gateway::pipeline::authorize::LocalAuth;
///
/// let auth = LocalAuth::new("eu-west-1")
///     .with_access_key("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None)
///     .with_jwks("eu-west-1_AbCdEf123", r#"{"keys": []}"#)
///     .unwrap();
/// assert_eq!(auth.region(), "eu-west-1");
/// ```
#[derive(Clone, Debug)]
pub struct LocalAuth {
    region: String,
    access_keys: HashMap<String, AccessKey>,
    /// User pool id (`REGION_xxxx`) → its public keys by `kid`, made once
    /// here rather than from the JWK on every request.
    user_pools: HashMap<String, Vec<(String, DecodingKey)>>,
}

/// One access key: its secret, the session token that must come with it
/// (temporary credentials), and who it belongs to.
#[derive(Clone)]
pub(crate) struct AccessKey {
    pub(crate) secret: String,
    pub(crate) session_token: Option<String>,
    /// The IAM user name its `$context.identity.userArn` shows.
    pub(crate) user_name: String,
}

impl fmt::Debug for AccessKey {
    // Secrets stay out of logs and panics.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("user_name", &self.user_name)
            .finish_non_exhaustive()
    }
}

/// A problem with what was given to [`LocalAuth`]: a JWKS that is not
/// one, a credentials file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAuthError(pub String);

impl fmt::Display for LocalAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LocalAuthError {}

impl Default for LocalAuth {
    fn default() -> Self {
        LocalAuth::new("us-east-1")
    }
}

impl LocalAuth {
    /// No keys and no user pools, for requests signed for `region`
    /// (`us-east-1` when empty). With nothing added every `AWS_IAM` and
    /// `COGNITO_USER_POOLS` method refuses every request, as AWS would
    /// refuse unknown callers.
    pub fn new(region: &str) -> LocalAuth {
        LocalAuth {
            region: if region.is_empty() {
                "us-east-1".to_owned()
            } else {
                region.to_owned()
            },
            access_keys: HashMap::new(),
            user_pools: HashMap::new(),
        }
    }

    /// The region SigV4 signatures must be scoped to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Adds an access key. With a `session_token`, requests must carry it
    /// in `X-Amz-Security-Token` (temporary credentials).
    pub fn with_access_key(
        mut self,
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
    ) -> LocalAuth {
        self.add_access_key(access_key_id, secret_access_key, session_token, "local");
        self
    }

    fn add_access_key(
        &mut self,
        access_key_id: &str,
        secret: &str,
        session_token: Option<&str>,
        user_name: &str,
    ) {
        self.access_keys.insert(
            access_key_id.to_owned(),
            AccessKey {
                secret: secret.to_owned(),
                session_token: session_token.filter(|t| !t.is_empty()).map(str::to_owned),
                user_name: user_name.to_owned(),
            },
        );
    }

    /// Adds the access key of the standard environment variables
    /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`),
    /// when both of the first two are set.
    pub fn with_env_credentials(mut self) -> LocalAuth {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let (Some(id), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
            let token = var("AWS_SESSION_TOKEN");
            self.add_access_key(&id, &secret, token.as_deref(), "local");
        }
        self
    }

    /// Adds every profile's key of an AWS shared credentials file's text
    /// (`[profile]` sections with `aws_access_key_id`,
    /// `aws_secret_access_key` and optionally `aws_session_token`). The
    /// profile's name is the IAM user name `$context.identity.userArn`
    /// shows.
    pub fn with_credentials_file(mut self, text: &str) -> Result<LocalAuth, LocalAuthError> {
        let mut profiles: Vec<(String, HashMap<String, String>)> = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                let name = name.trim();
                let name = name.strip_prefix("profile ").unwrap_or(name).trim();
                profiles.push((name.to_owned(), HashMap::new()));
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(LocalAuthError(format!(
                    "line {}: expected `key = value` or `[profile]`",
                    number + 1
                )));
            };
            let Some((_, values)) = profiles.last_mut() else {
                return Err(LocalAuthError(format!(
                    "line {}: a setting before any `[profile]`",
                    number + 1
                )));
            };
            values.insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        let mut added = 0;
        for (name, values) in &profiles {
            if let (Some(id), Some(secret)) = (
                values.get("aws_access_key_id"),
                values.get("aws_secret_access_key"),
            ) {
                let token = values.get("aws_session_token").map(String::as_str);
                self.add_access_key(id, secret, token, name);
                added += 1;
            }
        }
        if added == 0 {
            return Err(LocalAuthError(
                "no profile has both aws_access_key_id and aws_secret_access_key".to_owned(),
            ));
        }
        Ok(self)
    }

    /// Adds a user pool's public keys: `pool` is its id (`REGION_xxxx`) or
    /// ARN (`arn:aws:cognito-idp:REGION:ACCOUNT:userpool/ID`), `jwks` the
    /// JSON its `/.well-known/jwks.json` serves (`{"keys": [{"kty": "RSA",
    /// "kid": …, "n": …, "e": …}]}`). Adding a pool twice adds its keys.
    pub fn with_jwks(mut self, pool: &str, jwks: &str) -> Result<LocalAuth, LocalAuthError> {
        let set: JwkSet = serde_json::from_str(jwks)
            .map_err(|e| LocalAuthError(format!("not a JWKS (`{{\"keys\": [...]}}`): {e}")))?;
        let id = pool_id(pool).to_owned();
        if id.is_empty() {
            return Err(LocalAuthError(format!(
                "{pool:?}: not a user pool id or ARN"
            )));
        }
        let mut keys = Vec::new();
        for jwk in &set.keys {
            let kid = jwk.common.key_id.clone().unwrap_or_default();
            let key = DecodingKey::from_jwk(jwk)
                .map_err(|e| LocalAuthError(format!("key {kid:?}: {e}")))?;
            keys.push((kid, key));
        }
        self.user_pools.entry(id).or_default().extend(keys);
        Ok(self)
    }

    /// Whether a user pool (id or ARN) has keys.
    pub fn has_user_pool(&self, pool: &str) -> bool {
        self.user_pools.contains_key(pool_id(pool))
    }

    pub(crate) fn access_key(&self, id: &str) -> Option<&AccessKey> {
        self.access_keys.get(id)
    }

    /// A pool's keys, by `kid`.
    pub(crate) fn user_pool(&self, id: &str) -> Option<&[(String, DecodingKey)]> {
        self.user_pools.get(id).map(Vec::as_slice)
    }
}

/// A user pool's id from its id or ARN (`…:userpool/ID`).
pub(crate) fn pool_id(pool: &str) -> &str {
    match pool.rsplit_once(":userpool/") {
        Some((_, id)) => id,
        None => pool,
    }
    .trim()
}

/// Runs the method's Lambda authorizer. `Ok(None)`: nothing to add to the
/// request (not a `CUSTOM` method: IAM and Cognito methods are checked by
/// `iam` and `cognito`, called from the gateway, which owns the
/// `$context` they write).
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
        Authorization::CognitoUserPools(_) | Authorization::Iam => Ok(None),
    }
}
