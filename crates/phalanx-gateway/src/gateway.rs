//! [`Gateway`]: a built API for one stage, answering requests through the
//! [`crate::pipeline`] stages.

use crate::clock::Clock;
use crate::compile::{Authorization, CompiledApi, DefinitionErrors, compile};
use crate::invoke::Invoker;
use crate::model::RestApi;
use crate::pipeline::authorize::LocalAuth;
use crate::pipeline::integrate::{self, HttpClient};
use crate::pipeline::{
    Exchange, GatewayError, GatewayReply, GatewayRequest, TraceStep, authorize, gateway_response,
    integration_request, integration_response, method_request, method_response, parse_query,
    title_case_in_place,
};
use crate::vtl::{Identity, Params, RequestContext};

use std::sync::Arc;

/// A REST API ready to serve one stage. Cheap to clone; shareable across
/// tasks.
///
/// ```
/// use phalanx_gateway::{Gateway, GatewayRequest};
/// use phalanx_gateway::invoke::InProcess;
/// use phalanx_gateway::model::*;
///
/// let api = RestApi {
///     name: "hello".into(),
///     methods: vec![Method {
///         resource_path: "/hello".into(),
///         http_method: "GET".into(),
///         method_responses: vec![MethodResponse { status_code: "200".into(), ..Default::default() }],
///         integration: Some(Integration {
///             kind: IntegrationType::Mock,
///             request_templates: [("application/json".to_string(), r#"{"statusCode": 200}"#.to_string())].into(),
///             integration_responses: vec![IntegrationResponse {
///                 status_code: "200".into(),
///                 response_templates: [("application/json".to_string(), r#"{"hello": "$context.stage"}"#.to_string())].into(),
///                 ..Default::default()
///             }],
///             ..Default::default()
///         }),
///         ..Default::default()
///     }],
///     ..Default::default()
/// };
/// let gateway = Gateway::build(&api, "dev", InProcess::new()).unwrap();
/// let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let reply = rt.block_on(gateway.handle(GatewayRequest {
///     method: "GET".into(),
///     path: "/dev/hello".into(),
///     ..Default::default()
/// }));
/// assert_eq!(reply.status, 200);
/// assert_eq!(reply.body, r#"{"hello": "dev"}"#);
/// ```
#[derive(Clone)]
pub struct Gateway {
    api: Arc<CompiledApi>,
    invoker: Arc<dyn Invoker>,
    http: HttpClient,
    clock: Clock,
    auth: Arc<LocalAuth>,
    /// Lambda authorizer results, shared by the gateway's clones.
    authorizer_cache: Arc<authorize::AuthorizerCache>,
}

/// The account id local requests run under (AWS's documentation example
/// account).
pub const LOCAL_ACCOUNT_ID: &str = "123456789012";

impl Gateway {
    /// Checks and compiles `api` for `stage`; every definition error is
    /// reported at once.
    pub fn build(
        api: &RestApi,
        stage: &str,
        invoker: impl Invoker,
    ) -> Result<Gateway, DefinitionErrors> {
        Gateway::build_shared(api, stage, Arc::new(invoker))
    }

    /// [`Gateway::build`] with an invoker that is shared.
    pub fn build_shared(
        api: &RestApi,
        stage: &str,
        invoker: Arc<dyn Invoker>,
    ) -> Result<Gateway, DefinitionErrors> {
        Ok(Gateway {
            api: Arc::new(compile(api, stage)?),
            invoker,
            http: integrate::http_client(),
            clock: Clock::system(),
            auth: Arc::new(LocalAuth::default()),
            authorizer_cache: Arc::default(),
        })
    }

    /// The gateway checking `AWS_IAM` and `COGNITO_USER_POOLS` methods
    /// against `auth` (access keys, user pools' JWKS, the region). Without
    /// it no key or pool is known, so those methods refuse every request.
    pub fn with_auth(mut self, auth: LocalAuth) -> Gateway {
        self.auth = Arc::new(auth);
        self
    }

    /// The gateway reading the time from `clock` (request times, the expiry
    /// of cached authorizer results, throttling and quota periods): a
    /// [`Clock::manual`] lets tests move time instead of sleeping.
    pub fn with_clock(mut self, clock: Clock) -> Gateway {
        self.clock = clock;
        self
    }

    /// The stage served.
    pub fn stage(&self) -> &str {
        &self.api.stage.stage_name
    }

    /// The API id (`$context.apiId`).
    pub fn api_id(&self) -> &str {
        &self.api.api_id
    }

    /// Every route, as `METHOD /stage/path`, in definition order.
    pub fn routes(&self) -> Vec<String> {
        self.api
            .methods
            .iter()
            .map(|m| {
                let path = if &*m.resource_path == "/" {
                    ""
                } else {
                    &m.resource_path
                };
                format!("{} /{}{}", m.http_method, self.api.stage.stage_name, path)
            })
            .collect()
    }

    /// Answers one request. Header names are title-cased (`content-type`
    /// reaches templates and events as `Content-Type`): callers that build
    /// requests in code rarely know how a client would spell them.
    pub async fn handle(&self, request: GatewayRequest) -> GatewayReply {
        self.handle_traced(request, None).await
    }

    /// Answers one request whose header names are spelled as the client
    /// sent them (what [`crate::server`] passes): they reach templates and
    /// events as they are (`tEsT-HEADeR` stays so), as in AWS, except
    /// `authorization`, which AWS spells `Authorization` (both in
    /// LocalStack's AWS-validated `test_lambda_aws_proxy_integration`
    /// snapshot).
    pub async fn handle_as_sent(&self, request: GatewayRequest) -> GatewayReply {
        self.run(request, None, false).await
    }

    /// Answers one request, recording what each stage did in `trace`.
    /// Header names are title-cased, as for [`Gateway::handle`].
    pub async fn handle_traced(
        &self,
        request: GatewayRequest,
        trace: Option<&mut Vec<TraceStep>>,
    ) -> GatewayReply {
        self.run(request, trace, true).await
    }

    async fn run(
        &self,
        mut request: GatewayRequest,
        mut trace: Option<&mut Vec<TraceStep>>,
        title_case: bool,
    ) -> GatewayReply {
        // Trace details are only formatted when a trace is asked for.
        let tracing = trace.is_some();
        let mut note = |stage: &'static str, detail: String| {
            if let Some(t) = trace.as_deref_mut() {
                t.push(TraceStep { stage, detail });
            }
        };
        let api = &self.api;
        let now = self.clock.now();
        let request_id = crate::ids::request_id();
        // AWS's extended ids look like `Ab1Cd2Ef3Gh=`; ours reuse the
        // request id's random digits.
        let extended_request_id = format!("{}=", &request_id[..8]);
        // The headers move into the parameters every stage reads.
        let mut headers = std::mem::take(&mut request.headers);
        for (name, _) in headers.iter_mut() {
            if title_case {
                title_case_in_place(name);
            } else if name.eq_ignore_ascii_case("authorization") {
                "Authorization".clone_into(name);
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .rev()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let host = header("host").unwrap_or("localhost").to_string();
        let mut context = RequestContext {
            account_id: api.account_id.clone(),
            api_id: api.api_id.clone(),
            domain_prefix: host.split('.').next().unwrap_or("").to_string(),
            domain_name: host,
            extended_request_id,
            http_method: request.method.clone(),
            identity: Identity {
                source_ip: request.source_ip.clone(),
                user_agent: header("user-agent").unwrap_or("").to_string(),
                ..Identity::default()
            },
            // Slashes before the stage are dropped (`//dev/x` is `/dev/x`),
            // those after it kept, as AWS reports them (see `route`).
            path: format!("/{}", request.path.trim_start_matches('/')),
            protocol: if request.protocol.is_empty() {
                "HTTP/1.1".to_string()
            } else {
                request.protocol.clone()
            },
            request_id,
            request_time: crate::clock::request_time(now),
            request_time_epoch: crate::clock::epoch_millis(now) as i64,
            stage: api.stage_name.clone(),
            deployment_id: api.deployment_id.clone(),
            ..RequestContext::default()
        };
        let query = parse_query(request.query.as_deref());

        // 1. Route.
        let route = crate::pipeline::route::after_stage(&request.path, &api.stage.stage_name)
            .and_then(|rest| {
                let segments = crate::pipeline::route::segments(rest);
                api.routes
                    .find(&segments, &request.method.to_ascii_uppercase())
            });
        let Some(route) = route else {
            if tracing {
                note(
                    "route",
                    format!(
                        "no resource or method matches {} {}",
                        request.method, request.path
                    ),
                );
            }
            let params = Arc::new(Params {
                path: Vec::new(),
                querystring: query,
                header: headers,
            });
            let error = GatewayError::missing_authentication_token();
            let context = gateway_response::error_context(context, &error);
            let x = Exchange {
                api,
                request: &request,
                params: &params,
                context: &context,
            };
            return self.error_reply(&x, &error, None);
        };
        let method = &api.methods[route.method];
        context.resource_path = method.resource_path.clone();
        context.resource_id = method.resource_id.clone();
        if tracing {
            note(
                "route",
                format!(
                    "{} {} → {} {}",
                    request.method, request.path, method.http_method, method.resource_path
                ),
            );
        }
        let params = Arc::new(Params {
            path: route.path_parameters.clone(),
            querystring: query,
            header: headers,
        });
        let kind = Some(method.integration.kind);

        // 2. Authorize: the caller (a Lambda authorizer, an IAM signature, a
        // Cognito token), then the API key (which may come from the Lambda
        // authorizer); each records what it found in $context. Then meter:
        // the key's usage plan (methods that require a key only), then the
        // stage's throttling of the method.
        // One shared context from here on: the stages below hold it (and
        // templates render it) without copying; it is still ours alone
        // here, so `make_mut` changes it in place.
        let mut context = Arc::new(context);
        let authorized = if let Authorization::Lambda(_) = method.authorization {
            let outcome = authorize::authorize(
                &Exchange {
                    api,
                    request: &request,
                    params: &params,
                    context: &context,
                },
                method,
                self.invoker.as_ref(),
                &self.authorizer_cache,
                now,
            )
            .await;
            let context = Arc::make_mut(&mut context);
            let checked = outcome.and_then(|authorized| {
                let key = authorized
                    .as_ref()
                    .and_then(|a| a.usage_identifier_key.as_deref());
                let checked = authorize::check_api_key(
                    api,
                    method,
                    &params.header,
                    key,
                    &mut context.identity,
                );
                if let Some(a) = authorized {
                    context.authorizer = Some(a.context);
                }
                checked
            });
            if tracing {
                note(
                    "authorize",
                    match &checked {
                        Ok(()) => format!(
                            "authorized: {}",
                            context
                                .authorizer
                                .as_ref()
                                .map(|a| a.to_json().to_string())
                                .unwrap_or_default()
                        ),
                        Err(e) => format!("{}: {}", e.kind.name(), e.detail),
                    },
                );
            }
            checked
        } else {
            let context = Arc::make_mut(&mut context);
            match method.authorization {
                Authorization::Iam => authorize::iam::authorize(
                    &self.auth,
                    &request,
                    &params.header,
                    &api.account_id,
                    now,
                    &mut context.identity,
                ),
                Authorization::CognitoUserPools(index) => authorize::cognito::authorize(
                    &self.auth,
                    &api.user_pools[index],
                    &method.authorization_scopes,
                    &params.header,
                    now,
                )
                .map(|claims| context.authorizer = Some(Arc::new(claims))),
                Authorization::None | Authorization::Lambda(_) => Ok(()),
            }
            .and_then(|()| {
                authorize::check_api_key(api, method, &params.header, None, &mut context.identity)
            })
        };
        let authorized = authorized.and_then(|()| {
            if api.limits.is_empty() {
                return Ok(());
            }
            let key = method
                .api_key_required
                .then_some(context.identity.api_key.as_str());
            api.limits.check(route.method, key, now)
        });
        let x = Exchange {
            api,
            request: &request,
            params: &params,
            context: &context,
        };
        let result = async {
            authorized?;
            // 3. Method request.
            method_request::validate(&x, method)?;
            // 4. Integration request.
            let ireq = integration_request::build(&x, &method.integration, &method.resource_path)?;
            if tracing {
                note(
                    "integration request",
                    match &ireq.template {
                        Some(ct) => format!(
                            "template [{ct}] rendered:\n{}",
                            String::from_utf8_lossy(&ireq.body)
                        ),
                        None => format!("body:\n{}", String::from_utf8_lossy(&ireq.body)),
                    },
                );
            }
            // 5. Integrate.
            let endpoint = integrate::call(
                &x,
                &method.integration,
                integrate::Backends {
                    invoker: self.invoker.as_ref(),
                    http: &self.http,
                },
                &ireq,
            )
            .await?;
            if tracing {
                note(
                    "endpoint response",
                    format!(
                        "status {}{}\n{}",
                        endpoint.status,
                        endpoint
                            .function_error
                            .as_ref()
                            .map(|m| format!(" (function error: {m})"))
                            .unwrap_or_default(),
                        String::from_utf8_lossy(&endpoint.body)
                    ),
                );
            }
            // 6. Integration response.
            let selected =
                integration_response::apply(&x, &method.integration, endpoint, &ireq.overrides)?;
            if tracing {
                note(
                    "integration response",
                    format!(
                        "selected {} (selection value {:?})",
                        selected.status, selected.selection_value
                    ),
                );
            }
            Ok::<_, GatewayError>(selected.reply)
        }
        .await;

        match result {
            // 7. Method response.
            Ok(reply) => method_response::finish(&x, reply, kind),
            Err(error) => {
                if tracing {
                    note(
                        "gateway response",
                        format!("{}: {}", error.kind.name(), error.detail),
                    );
                }
                let context = gateway_response::error_context((*context).clone(), &error);
                self.error_reply(
                    &Exchange {
                        context: &context,
                        ..x
                    },
                    &error,
                    kind,
                )
            }
        }
    }

    /// The error edge: logs why, renders the gateway response for `error`
    /// and adds AWS's headers. `x.context` has the error set
    /// ([`gateway_response::error_context`]).
    fn error_reply(
        &self,
        x: &Exchange<'_>,
        error: &GatewayError,
        kind: Option<crate::model::IntegrationType>,
    ) -> GatewayReply {
        if !error.detail.is_empty() {
            tracing::warn!(
                request_id = %x.context.request_id,
                "{} {}: {} ({})",
                x.request.method,
                x.request.path,
                error.kind.name(),
                error.detail
            );
        }
        let reply = gateway_response::render(x, error);
        method_response::finish(x, reply, kind)
    }
}
