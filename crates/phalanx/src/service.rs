//! [`Service`]: the functions and the API together, built once into the
//! gateway's model and an in-process function registry.

use crate::api::Api;
use crate::function::Function;
use phalanx_gateway::invoke::InProcess;
use phalanx_gateway::model::{self, RestApi};
use phalanx_gateway::{DefinitionErrors, Gateway};

/// A service: Lambda functions and the REST API in front of them.
///
/// ```
/// use phalanx::{Api, Context, Function, Service};
/// use http::{Method, StatusCode};
///
/// let echo = Function::new("echo", |e: serde_json::Value, _: Context| async move {
///     Ok::<_, std::convert::Infallible>(e)
/// });
/// let mut api = Api::new("echo");
/// api.resource("/hello", &echo).method(Method::GET, StatusCode::OK);
/// let service = Service::new("echo").function(echo).api(api);
/// let gateway = service.gateway(None).unwrap();
/// assert_eq!(gateway.routes(), vec!["GET /dev/hello".to_string()]);
/// ```
#[derive(Debug, Clone)]
pub struct Service {
    pub(crate) name: String,
    pub(crate) functions: Vec<Function>,
    pub(crate) api: Option<Api>,
}

impl Service {
    /// A service named `name` (the CloudFormation stack's name by default).
    pub fn new(name: &str) -> Service {
        Service {
            name: name.to_string(),
            functions: Vec::new(),
            api: None,
        }
    }

    /// Adds a function (once: a function with the same logical id already
    /// there, such as an authorizer's the API brought, is replaced).
    pub fn function(mut self, function: Function) -> Service {
        let id = function.logical_id();
        self.functions.retain(|f| f.logical_id() != id);
        self.functions.push(function);
        self
    }

    /// Sets the API, and adds the functions of its Lambda authorizers
    /// (unless the service has them already).
    pub fn api(mut self, api: Api) -> Service {
        for f in api.authorizers().into_iter().filter_map(|a| a.function()) {
            let id = f.logical_id();
            if !self.functions.iter().any(|known| known.logical_id() == id) {
                self.functions.push(f.clone());
            }
        }
        self.api = Some(api);
        self
    }

    /// The service's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The gateway model with the functions filled in.
    pub fn model(&self) -> RestApi {
        let mut api = self
            .api
            .as_ref()
            .map(Api::to_model)
            .unwrap_or_else(|| RestApi {
                name: self.name.clone(),
                ..RestApi::default()
            });
        for f in &self.functions {
            api.functions.insert(
                f.logical_id(),
                model::Function {
                    function_name: f.name.clone(),
                    handler: Some(f.name.clone()),
                    runtime: Some("provided.al2023".to_string()),
                    timeout: Some(f.timeout.as_secs().max(1)),
                    memory_size: Some(f.memory_mb),
                    environment: f.environment.iter().cloned().collect(),
                },
            );
        }
        api
    }

    /// The function called `name` (or with that logical id); the error
    /// lists the ones there are.
    pub(crate) fn find_function(&self, name: &str) -> Result<&Function, String> {
        self.functions
            .iter()
            .find(|f| f.name == name || f.logical_id() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = self.functions.iter().map(|f| f.name.as_str()).collect();
                format!(
                    "no function `{name}` (this service has: {})",
                    names.join(", ")
                )
            })
    }

    /// Refuses a privilege that grants every action (`*`): a function's
    /// role gets exactly what its author names, and a wildcard over all
    /// services is never what was meant.
    pub(crate) fn check_privileges(&self) -> Result<(), String> {
        for f in &self.functions {
            for p in &f.privileges {
                if p.actions.iter().any(|a| a == "*" || a == "*:*") {
                    return Err(format!(
                        "function `{}`: a privilege grants every action (`*`): name the actions it needs, e.g. `s3:GetObject`",
                        f.name
                    ));
                }
            }
        }
        Ok(())
    }

    /// Refuses what AWS would refuse at deploy time and the local gateway
    /// would not: an API key value shorter than 20 characters (API
    /// Gateway's minimum), a REQUEST authorizer that caches (its TTL is
    /// not 0; AWS's default is 300 s) without an identity source to cache
    /// by, and two different authorizers of one name.
    pub(crate) fn check_auth(&self) -> Result<(), String> {
        let Some(api) = &self.api else {
            return Ok(());
        };
        for plan in &api.usage_plans {
            for key in &plan.keys {
                if key.value.chars().count() < 20 {
                    return Err(format!(
                        "API key `{}` of usage plan `{}`: its value has fewer than 20 characters, the least API Gateway takes",
                        key.name, plan.name
                    ));
                }
            }
        }
        let methods = api.resources.iter().flat_map(|r| &r.methods);
        let used: Vec<&crate::auth::Authorizer> =
            methods.filter_map(|m| m.authorizer.as_ref()).collect();
        for a in &used {
            let m = &a.model;
            if m.kind == model::AuthorizerType::Request
                && m.identity_source.as_deref().unwrap_or_default().is_empty()
                && m.authorizer_result_ttl_in_seconds != Some(0)
            {
                return Err(format!(
                    "authorizer `{}`: a REQUEST authorizer that caches its answers needs an identity source to cache them by (`.identity_source(...)`), or `.ttl(Duration::ZERO)`",
                    m.name
                ));
            }
            if used.iter().any(|b| b.model.name == m.name && b.model != *m) {
                return Err(format!(
                    "two different authorizers are named `{}`: give each its own name",
                    m.name
                ));
            }
        }
        Ok(())
    }

    /// The functions as an in-process registry, by logical id.
    pub fn in_process(&self) -> InProcess {
        let mut functions = InProcess::new();
        for f in &self.functions {
            functions.register_parsing(&f.logical_id(), f.handler.clone());
        }
        functions
    }

    /// The local gateway for `stage` (default: the API's stage), with the
    /// handlers in process. Every definition error is reported here, with
    /// the method and path, never at request time.
    pub fn gateway(&self, stage: Option<&str>) -> Result<Gateway, DefinitionErrors> {
        let model = self.model();
        let stage = stage
            .map(str::to_string)
            .or_else(|| model.stages.first().map(|s| s.stage_name.clone()))
            .unwrap_or_else(|| "dev".to_string());
        Gateway::build(&model, &stage, self.in_process())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, Privilege};

    #[test]
    fn a_privilege_over_every_action_is_refused() {
        let f = |privilege: Privilege| {
            Function::new("f", |e: serde_json::Value, _: Context| async move {
                Ok::<_, std::convert::Infallible>(e)
            })
            .privilege(privilege)
        };
        let named = Service::new("s").function(f(Privilege::new(["s3:GetObject"], ["*"])));
        assert_eq!(named.check_privileges(), Ok(()));
        let every = Service::new("s").function(f(Privilege::new(["*"], ["*"])));
        let error = every.check_privileges().unwrap_err();
        assert!(
            error.contains("function `f`: a privilege grants every action"),
            "{error}"
        );
    }

    #[test]
    fn what_aws_refuses_of_keys_and_authorizers_is_refused_before_export() {
        use crate::auth::{self, ApiKey, Authorizer, RequestEvent, UsagePlan};
        use http::{Method, StatusCode};
        let f = Function::new("f", |e: serde_json::Value, _: Context| async move {
            Ok::<_, std::convert::Infallible>(e)
        });
        let service = |plan: UsagePlan, authorizer: Authorizer| {
            let mut api = crate::Api::new("a").usage_plan(plan);
            api.resource("/", &f)
                .method(Method::GET, StatusCode::OK)
                .authorizer(&authorizer);
            Service::new("s").function(f.clone()).api(api)
        };
        let request = || {
            Authorizer::request("r", |e: RequestEvent, _: Context| async move {
                Ok::<_, &str>(auth::allow("p", &e.method_arn.unwrap_or_default()))
            })
        };
        let long = UsagePlan::new("p").api_key(ApiKey::new("k", "0123456789abcdefghij"));
        let short = UsagePlan::new("p").api_key(ApiKey::new("k", "short"));
        let sourced = request().identity_source("method.request.header.X");
        assert_eq!(service(long.clone(), sourced.clone()).check_auth(), Ok(()));
        let error = service(short, sourced).check_auth().unwrap_err();
        assert!(error.contains("fewer than 20 characters"), "{error}");
        let error = service(long.clone(), request()).check_auth().unwrap_err();
        assert!(error.contains("needs an identity source"), "{error}");
        let uncached = request().ttl(std::time::Duration::ZERO);
        assert_eq!(service(long, uncached).check_auth(), Ok(()));
    }
}
