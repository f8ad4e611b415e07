//! Gateway responses: what API Gateway answers when a request fails before
//! or around the integration — the status, the `{"message": …}` body and
//! the `x-amzn-ErrorType` header of every response type, and an API's
//! customisations of them (`AWS::ApiGateway::GatewayResponse`).
//!
//! Status codes are the developer guide's table ("Gateway response types
//! for API Gateway"); error-type header values follow LocalStack's
//! AWS-validated `gateway_response.py`. The default body template is
//! `{"message":$context.error.messageString}`.

/// A gateway response type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // The variants are AWS's names, documented by AWS.
pub enum ResponseType {
    AccessDenied,
    ApiConfigurationError,
    AuthorizerConfigurationError,
    AuthorizerFailure,
    BadRequestParameters,
    BadRequestBody,
    Default4xx,
    Default5xx,
    ExpiredToken,
    IntegrationFailure,
    IntegrationTimeout,
    InvalidApiKey,
    InvalidSignature,
    MissingAuthenticationToken,
    QuotaExceeded,
    RequestTooLarge,
    ResourceNotFound,
    Throttled,
    Unauthorized,
    UnsupportedMediaType,
    WafFiltered,
}

impl ResponseType {
    /// Every type, for parsing.
    pub const ALL: [ResponseType; 21] = [
        ResponseType::AccessDenied,
        ResponseType::ApiConfigurationError,
        ResponseType::AuthorizerConfigurationError,
        ResponseType::AuthorizerFailure,
        ResponseType::BadRequestParameters,
        ResponseType::BadRequestBody,
        ResponseType::Default4xx,
        ResponseType::Default5xx,
        ResponseType::ExpiredToken,
        ResponseType::IntegrationFailure,
        ResponseType::IntegrationTimeout,
        ResponseType::InvalidApiKey,
        ResponseType::InvalidSignature,
        ResponseType::MissingAuthenticationToken,
        ResponseType::QuotaExceeded,
        ResponseType::RequestTooLarge,
        ResponseType::ResourceNotFound,
        ResponseType::Throttled,
        ResponseType::Unauthorized,
        ResponseType::UnsupportedMediaType,
        ResponseType::WafFiltered,
    ];

    /// AWS's name, e.g. `MISSING_AUTHENTICATION_TOKEN`.
    pub fn name(self) -> &'static str {
        use ResponseType::*;
        match self {
            AccessDenied => "ACCESS_DENIED",
            ApiConfigurationError => "API_CONFIGURATION_ERROR",
            AuthorizerConfigurationError => "AUTHORIZER_CONFIGURATION_ERROR",
            AuthorizerFailure => "AUTHORIZER_FAILURE",
            BadRequestParameters => "BAD_REQUEST_PARAMETERS",
            BadRequestBody => "BAD_REQUEST_BODY",
            Default4xx => "DEFAULT_4XX",
            Default5xx => "DEFAULT_5XX",
            ExpiredToken => "EXPIRED_TOKEN",
            IntegrationFailure => "INTEGRATION_FAILURE",
            IntegrationTimeout => "INTEGRATION_TIMEOUT",
            InvalidApiKey => "INVALID_API_KEY",
            InvalidSignature => "INVALID_SIGNATURE",
            MissingAuthenticationToken => "MISSING_AUTHENTICATION_TOKEN",
            QuotaExceeded => "QUOTA_EXCEEDED",
            RequestTooLarge => "REQUEST_TOO_LARGE",
            ResourceNotFound => "RESOURCE_NOT_FOUND",
            Throttled => "THROTTLED",
            Unauthorized => "UNAUTHORIZED",
            UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            WafFiltered => "WAF_FILTERED",
        }
    }

    /// Parses AWS's name.
    pub fn from_name(name: &str) -> Option<ResponseType> {
        ResponseType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The default status code.
    pub fn default_status(self) -> u16 {
        use ResponseType::*;
        match self {
            AccessDenied
            | ExpiredToken
            | InvalidApiKey
            | InvalidSignature
            | MissingAuthenticationToken
            | WafFiltered => 403,
            ApiConfigurationError
            | AuthorizerConfigurationError
            | AuthorizerFailure
            | Default5xx => 500,
            BadRequestParameters | BadRequestBody | Default4xx => 400,
            IntegrationFailure | IntegrationTimeout => 504,
            QuotaExceeded | Throttled => 429,
            RequestTooLarge => 413,
            ResourceNotFound => 404,
            Unauthorized => 401,
            UnsupportedMediaType => 415,
        }
    }

    /// The `x-amzn-ErrorType` header value.
    pub fn error_type(self) -> &'static str {
        use ResponseType::*;
        match self {
            AccessDenied => "AccessDeniedException",
            ApiConfigurationError => "ApiConfigurationException",
            AuthorizerConfigurationError => "AuthorizerConfigurationException",
            AuthorizerFailure => "AuthorizerFailureException",
            BadRequestParameters | BadRequestBody | UnsupportedMediaType | Default4xx => {
                "BadRequestException"
            }
            Default5xx | IntegrationFailure | IntegrationTimeout => "InternalServerErrorException",
            ExpiredToken => "ExpiredTokenException",
            InvalidApiKey => "ForbiddenException",
            InvalidSignature => "InvalidSignatureException",
            MissingAuthenticationToken => "MissingAuthenticationTokenException",
            QuotaExceeded => "LimitExceededException",
            RequestTooLarge => "RequestTooLargeException",
            ResourceNotFound => "ResourceNotFoundException",
            Throttled => "TooManyRequestsException",
            Unauthorized => "UnauthorizedException",
            WafFiltered => "WafFilteredException",
        }
    }

    /// The DEFAULT_4XX or DEFAULT_5XX type a customisation falls back to.
    pub fn family(self, status: u16) -> ResponseType {
        if status >= 500 {
            ResponseType::Default5xx
        } else {
            ResponseType::Default4xx
        }
    }
}

/// A request that ends in a gateway response.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayError {
    /// The response type.
    pub kind: ResponseType,
    /// `$context.error.message`.
    pub message: String,
    /// A status other than the type's default (AWS uses 500 for an
    /// integration failure it reports as `INTEGRATION_FAILURE`, 502 for a
    /// malformed proxy response).
    pub status: Option<u16>,
    /// Why, for the access log and `test-invoke` (never sent to clients).
    pub detail: String,
    /// `$context.error.validationErrorString`, for body validation.
    pub validation: Option<String>,
    /// AWS's whole body when no customisation applies, for the errors whose
    /// body is not `{"message":…}` as the default template renders it.
    pub default_body: Option<String>,
}

impl GatewayError {
    /// A gateway error of `kind` with AWS's message.
    pub fn new(kind: ResponseType, message: &str) -> GatewayError {
        GatewayError {
            kind,
            message: message.to_string(),
            status: None,
            detail: String::new(),
            validation: None,
            default_body: None,
        }
    }

    /// Lambda refused the event a Lambda (non-proxy) integration sent it
    /// because it is not JSON (`message` is Lambda's, see
    /// [`crate::invoke`]'s `not_json_message`): 400, and the function never
    /// runs. The body is written as AWS writes it, `{"message": "…"}` with
    /// a space and the message JavaScript-escaped (`\'`, `\n`): so two
    /// recorded answers show it, December 2016 (a blog post's `curl -i`:
    /// `HTTP/1.1 400 Bad Request`, "Configuring API Gateway for GraphQL
    /// Lambda functions") and August 2024 (quoted in a React client's
    /// source). Neither shows the response type or `x-amzn-ErrorType`:
    /// DEFAULT_4XX (`BadRequestException`) is assumed, so a DEFAULT_4XX
    /// customisation applies.
    pub fn event_not_json(message: &str) -> GatewayError {
        let mut error = GatewayError::new(ResponseType::Default4xx, message)
            .with_status(400)
            .with_detail("Lambda refused the event the request template rendered: it is not JSON");
        error.default_body = Some(format!(
            "{{\"message\": \"{}\"}}",
            crate::vtl::escape_javascript(message)
        ));
        error
    }

    /// With an explicit status.
    pub fn with_status(mut self, status: u16) -> GatewayError {
        self.status = Some(status);
        self
    }

    /// With a detail for logs.
    pub fn with_detail(mut self, detail: impl Into<String>) -> GatewayError {
        self.detail = detail.into();
        self
    }

    /// 403 Missing Authentication Token (no such route or method).
    pub fn missing_authentication_token() -> GatewayError {
        GatewayError::new(
            ResponseType::MissingAuthenticationToken,
            "Missing Authentication Token",
        )
    }

    /// 500 Internal server error, for configuration errors found at
    /// request time (AWS logs "Execution failed due to configuration
    /// error").
    pub fn configuration(detail: impl Into<String>) -> GatewayError {
        GatewayError::new(ResponseType::ApiConfigurationError, "Internal server error")
            .with_detail(detail)
    }

    /// 502 Internal server error — a failed or malformed Lambda answer.
    pub fn bad_gateway(detail: impl Into<String>) -> GatewayError {
        GatewayError::new(ResponseType::IntegrationFailure, "Internal server error")
            .with_status(502)
            .with_detail(detail)
    }

    /// The status sent, before customisation.
    pub fn status(&self) -> u16 {
        self.status.unwrap_or_else(|| self.kind.default_status())
    }
}

/// The request's `$context` as gateway response templates and mappings
/// see it: with `$context.error` set from `error`.
pub(crate) fn error_context(
    mut context: crate::vtl::RequestContext,
    error: &GatewayError,
) -> std::sync::Arc<crate::vtl::RequestContext> {
    context.error = Some(crate::vtl::ErrorInfo {
        message: error.message.clone(),
        response_type: error.kind.name().to_string(),
        validation_error_string: error.validation.clone().unwrap_or_default(),
    });
    std::sync::Arc::new(context)
}

/// Renders the gateway response for `error`: the API's customisation of
/// its type, else of DEFAULT_4XX/5XX, else AWS's default
/// (`{"message":$context.error.messageString}`), plus `x-amzn-ErrorType`.
/// `x.context` is the [`error_context`] of the request.
pub(crate) fn render(x: &super::Exchange<'_>, error: &GatewayError) -> super::GatewayReply {
    let (api, params, request, context) = (x.api, x.params, x.request, x.context);
    let status = error.status();
    let custom = api
        .gateway_responses
        .get(&error.kind)
        .or_else(|| api.gateway_responses.get(&error.kind.family(status)));
    let mut reply_headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    let mut reply_status = status;
    let default_body = error.default_body.clone().unwrap_or_else(|| {
        format!(
            "{{\"message\":{}}}",
            serde_json::Value::String(error.message.clone())
        )
    });
    let mut body = default_body.clone();
    if let Some(custom) = custom {
        if let Some(s) = custom.status {
            reply_status = s;
        }
        let sources = crate::mapping::Sources {
            path: &params.path,
            querystring: &params.querystring,
            headers: &params.header,
            request_body: &request.body,
            integration_response: None,
            stage_variables: &api.stage.variables,
            context,
        };
        for (header, source) in &custom.response_parameters {
            if let Some(v) = source.evaluate(&sources) {
                reply_headers.retain(|(k, _)| !k.eq_ignore_ascii_case(header));
                reply_headers.push((header.clone(), v));
            }
        }
        if let Some((content_type, template)) =
            super::integration_response::choose_template(&custom.templates, params.header("accept"))
        {
            let rendered = crate::vtl::render(
                template,
                crate::vtl::TemplateInput {
                    body: &super::text(&request.body),
                    params: params.clone(),
                    context,
                    stage_variables: &api.stage.variables,
                    overrides: &crate::vtl::Overrides::default(),
                },
            );
            // A broken customisation must not hide the error: fall back to
            // the default body.
            if let Ok((text, _)) = rendered {
                body = text;
                reply_headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
                reply_headers.insert(0, ("Content-Type".to_string(), content_type.clone()));
            }
        }
    }
    reply_headers.push((
        "x-amzn-ErrorType".to_string(),
        error.kind.error_type().to_string(),
    ));
    super::GatewayReply {
        status: reply_status,
        headers: reply_headers,
        body: bytes::Bytes::from(body),
    }
}
