//! `security` requirements → a method's `ApiKeyRequired` and
//! `AuthorizationType`.
//!
//! API Gateway reads two kinds of scheme (developer guide, "OpenAPI
//! extensions", `x-amazon-apigateway-authorizer` and
//! `x-amazon-apigateway-authtype`): an `apiKey` scheme without those
//! extensions is the API key (`x-api-key` header), which the model
//! enforces; a scheme with them is an authorizer, which the model cannot
//! represent yet. Authorizers are left out with a warning, and the methods
//! that use them keep their authorization type (as a CloudFormation import
//! does for `AuthorizationType`), which is not enforced locally.

use serde_json::{Map, Value};

use super::Importer;
use super::document::{Result, pointer};

impl Importer<'_> {
    /// The document's security schemes and their pointer
    /// (`securityDefinitions` in 2.0, `components.securitySchemes` in 3.0).
    fn schemes(&self) -> Result<Option<(&Map<String, Value>, String)>> {
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

    /// Warns once for each authorizer scheme: it is not imported.
    pub(super) fn warn_authorizers(&mut self) -> Result<()> {
        let Some((schemes, at)) = self.schemes()? else {
            return Ok(());
        };
        let mut warnings = Vec::new();
        for (name, scheme) in schemes {
            if let Some(scheme) = scheme.as_object()
                && authorizer_type(scheme).is_some()
            {
                warnings.push(format!(
                    "{}: the authorizer `{name}` is not imported (authorizers are not \
                     emulated yet); the methods that use it are served without calling it",
                    pointer(&at, name)
                ));
            }
        }
        self.warnings.extend(warnings);
        Ok(())
    }

    /// `(AuthorizationType, ApiKeyRequired)` of an operation: its
    /// `security`, else the document's.
    pub(super) fn security(
        &mut self,
        operation: &Map<String, Value>,
        at: &str,
        method: &str,
    ) -> Result<(Option<String>, bool)> {
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
        if requirements.is_empty() {
            return Ok((None, false));
        }
        let schemes = self.schemes()?;
        let mut authorization_type = None;
        let mut api_key_required = false;
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
                    authorization_type = Some(kind.to_owned());
                } else if scheme.get("type").and_then(Value::as_str) == Some("apiKey") {
                    api_key_required = true;
                } else {
                    ignored.push(name.clone());
                }
            }
        }
        // AWS_IAM is checked locally (SigV4 against `LocalAuth`).
        if let Some(kind) = authorization_type.as_ref().filter(|k| *k != "AWS_IAM") {
            self.warnings.push(format!(
                "{at}: {method}: authorization {kind} is not enforced locally"
            ));
        }
        for name in ignored {
            self.warnings.push(format!(
                "{at}: {method}: the security scheme `{name}` is neither an API key nor an API \
                 Gateway authorizer; it is not enforced"
            ));
        }
        Ok((authorization_type, api_key_required))
    }
}

/// The `AuthorizationType` a scheme with API Gateway's authorizer
/// extensions gives a method, if it has them.
fn authorizer_type(scheme: &Map<String, Value>) -> Option<&'static str> {
    let authtype = scheme
        .get("x-amazon-apigateway-authtype")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    let authorizer = scheme.get("x-amazon-apigateway-authorizer");
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
