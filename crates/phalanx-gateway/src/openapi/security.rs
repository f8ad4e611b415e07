//! Security schemes and `security` requirements → the API's authorizers
//! and a method's `ApiKeyRequired`, `AuthorizationType`, authorizer and
//! scopes.
//!
//! API Gateway reads two kinds of scheme (developer guide, "OpenAPI
//! extensions", `x-amazon-apigateway-authorizer` and
//! `x-amazon-apigateway-authtype`): an `apiKey` scheme without those
//! extensions is the API key (`x-api-key` header); a scheme with
//! `x-amazon-apigateway-authorizer` is an authorizer named as the scheme
//! (type `token`, `request` or `cognito_user_pools`, `authorizerUri`,
//! `identitySource`, `identityValidationExpression`,
//! `authorizerResultTtlInSeconds`, `providerARNs`); a TOKEN authorizer
//! without `identitySource` reads the header the scheme names (`name`,
//! `in: header`), as the guide's `x-amazon-apigateway-authorizer` example
//! shows. `x-amazon-apigateway-authtype: awsSigv4` alone is IAM.

use serde_json::{Map, Value};

use super::Importer;
use super::document::{Result, pointer};
use crate::model::{Authorizer, AuthorizerType};

/// The authorizer extension.
const AUTHORIZER: &str = "x-amazon-apigateway-authorizer";

/// What an operation's `security` gives its method.
#[derive(Debug, Default)]
pub(super) struct Security {
    pub(super) authorization_type: Option<String>,
    pub(super) api_key_required: bool,
    pub(super) authorizer: Option<String>,
    pub(super) scopes: Vec<String>,
}

impl<'a> Importer<'a> {
    /// The document's security schemes and their pointer
    /// (`securityDefinitions` in 2.0, `components.securitySchemes` in 3.0).
    fn schemes(&self) -> Result<Option<(&'a Map<String, Value>, String)>> {
        let d = self.doc;
        let root = d.object(d.root, "")?;
        if let Some(schemes) = d.object_at(root, "securityDefinitions", "")? {
            return Ok(Some((schemes, "/securityDefinitions".to_owned())));
        }
        if let Some(components) = d.object_at(root, "components", "")?
            && let Some(schemes) = d.object_at(components, "securitySchemes", "/components")?
        {
            return Ok(Some((schemes, "/components/securitySchemes".to_owned())));
        }
        Ok(None)
    }

    /// Every scheme with `x-amazon-apigateway-authorizer`, as an
    /// authorizer named like the scheme.
    pub(super) fn read_authorizers(&mut self) -> Result<Vec<Authorizer>> {
        let Some((schemes, at)) = self.schemes()? else {
            return Ok(Vec::new());
        };
        let d = self.doc;
        let mut out = Vec::new();
        for (name, scheme) in schemes {
            let scheme_at = pointer(&at, name);
            let scheme = d.object(scheme, &scheme_at)?;
            let Some(extension) = d.object_at(scheme, AUTHORIZER, &scheme_at)? else {
                continue;
            };
            let ext_at = pointer(&scheme_at, AUTHORIZER);
            let kind_name = d
                .string_at(extension, "type", &ext_at)?
                .unwrap_or_else(|| "token".to_owned());
            let kind = AuthorizerType::from_name(&kind_name).ok_or_else(|| {
                d.invalid(
                    &pointer(&ext_at, "type"),
                    format!(
                        "expected one of token, request, cognito_user_pools, found `{kind_name}`"
                    ),
                )
            })?;
            let authorizer_uri = d.string_at(extension, "authorizerUri", &ext_at)?;
            let function = match (kind, &authorizer_uri) {
                (AuthorizerType::CognitoUserPools, _) => None,
                (_, None) => {
                    return Err(d.invalid(
                        &ext_at,
                        "a token or request authorizer needs an authorizerUri (the Lambda \
                         function's invocation URI)",
                    ));
                }
                (_, Some(uri)) => {
                    let uri_at = pointer(&ext_at, "authorizerUri");
                    let target = super::integration::lambda_target(uri).ok_or_else(|| {
                        d.invalid(
                            &uri_at,
                            format!(
                                "`{uri}` is not a Lambda invocation URI (arn:aws:apigateway:\
                                 REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations)"
                            ),
                        )
                    })?;
                    self.function_for(target, &uri_at, &format!("{ext_at} (authorizer {name})"))?
                }
            };
            let mut identity_source = d.string_at(extension, "identitySource", &ext_at)?;
            if identity_source.is_none()
                && kind != AuthorizerType::Request
                && d.string_at(scheme, "in", &scheme_at)?.as_deref() == Some("header")
                && let Some(header) = d.string_at(scheme, "name", &scheme_at)?
            {
                identity_source = Some(format!("method.request.header.{header}"));
            }
            let mut provider_arns = Vec::new();
            let arns_at = pointer(&ext_at, "providerARNs");
            for (i, arn) in d
                .list_at(extension, "providerARNs", &ext_at)?
                .iter()
                .enumerate()
            {
                match arn.as_str() {
                    Some(arn) => provider_arns.push(arn.to_owned()),
                    None => {
                        return Err(d.expected(
                            &pointer(&arns_at, &i.to_string()),
                            "a string",
                            arn,
                        ));
                    }
                }
            }
            out.push(Authorizer {
                name: name.clone(),
                kind,
                function,
                authorizer_uri,
                identity_source,
                identity_validation_expression: d.string_at(
                    extension,
                    "identityValidationExpression",
                    &ext_at,
                )?,
                authorizer_result_ttl_in_seconds: d.unsigned_at(
                    extension,
                    "authorizerResultTtlInSeconds",
                    &ext_at,
                )?,
                provider_arns,
            });
        }
        Ok(out)
    }

    /// What the operation's `security` (else the document's) gives its
    /// method.
    pub(super) fn security(
        &mut self,
        operation: &Map<String, Value>,
        at: &str,
        method: &str,
    ) -> Result<Security> {
        let d = self.doc;
        let root = d.object(d.root, "")?;
        let (requirements, requirements_at) = if operation.contains_key("security") {
            (
                d.list_at(operation, "security", at)?,
                pointer(at, "security"),
            )
        } else {
            (d.list_at(root, "security", "")?, "/security".to_owned())
        };
        let mut out = Security::default();
        if requirements.is_empty() {
            return Ok(out);
        }
        let schemes = self.schemes()?;
        let mut ignored = Vec::new();
        for (i, requirement) in requirements.iter().enumerate() {
            let requirement_at = pointer(&requirements_at, &i.to_string());
            let requirement = self.doc.object(requirement, &requirement_at)?;
            for name in requirement.keys() {
                let scheme = schemes
                    .as_ref()
                    .and_then(|(schemes, at)| schemes.get(name).map(|s| (s, pointer(at, name))));
                let Some((scheme, scheme_at)) = scheme else {
                    // SAM's translator writes `NONE` (an event's
                    // `Authorizer: NONE`) and `api_key_false` as requirements
                    // without schemes, and API Gateway deploys its output:
                    // they mean "no authorizer" and "no key". Any other name
                    // without a scheme is a mistake in the document.
                    if name == "NONE" || name == "api_key_false" {
                        continue;
                    }
                    return Err(self.doc.invalid(
                        &pointer(&requirement_at, name),
                        format!("`{name}` is not a security scheme of the document"),
                    ));
                };
                let scheme = self.doc.object(scheme, &scheme_at)?;
                if let Some(kind) = authorizer_type(scheme) {
                    out.authorization_type = Some(kind.to_owned());
                    if scheme.contains_key(AUTHORIZER) {
                        out.authorizer = Some(name.clone());
                        let scopes_at = pointer(&requirement_at, name);
                        for (j, scope) in self
                            .doc
                            .list_at(requirement, name, &requirement_at)?
                            .iter()
                            .enumerate()
                        {
                            match scope.as_str() {
                                Some(s) => out.scopes.push(s.to_owned()),
                                None => {
                                    return Err(self.doc.expected(
                                        &pointer(&scopes_at, &j.to_string()),
                                        "a string",
                                        scope,
                                    ));
                                }
                            }
                        }
                    }
                } else if scheme.get("type").and_then(Value::as_str) == Some("apiKey") {
                    out.api_key_required = true;
                } else {
                    ignored.push(name.clone());
                }
            }
        }
        for name in ignored {
            self.warnings.push(format!(
                "{at}: {method}: the security scheme `{name}` is neither an API key nor an API \
                 Gateway authorizer; it is not enforced"
            ));
        }
        Ok(out)
    }
}

/// The `AuthorizationType` a scheme with API Gateway's authorizer
/// extensions gives a method, if it has them.
fn authorizer_type(scheme: &Map<String, Value>) -> Option<&'static str> {
    let authtype = scheme
        .get("x-amazon-apigateway-authtype")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    let authorizer = scheme.get(AUTHORIZER);
    if authtype.is_none() && authorizer.is_none() {
        return None;
    }
    let authorizer_kind = authorizer
        .and_then(|a| a.get("type"))
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    Some(match (authtype.as_deref(), authorizer_kind.as_deref()) {
        (_, Some("cognito_user_pools")) | (Some("cognito_user_pools"), _) => "COGNITO_USER_POOLS",
        (Some("awssigv4"), None) => "AWS_IAM",
        _ => "CUSTOM",
    })
}
