//! Where API Gateway's VTL differs from plain Velocity 1.7.

/// Which flavour of VTL to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// Apache Velocity 1.7 with its default settings: a null or undefined
    /// reference renders as its source text (`$foo`).
    #[default]
    Velocity,
    /// API Gateway's mapping templates. Differences from [`Dialect::Velocity`]:
    ///
    /// - a null or undefined reference renders as nothing, as if written
    ///   `$!foo` (observed on AWS: LocalStack's AWS-validated snapshot
    ///   `test_apigateway_common.py::TestApiGatewayCommon` and
    ///   localstack/airspeed's `test_templating.snapshot.json`, recorded
    ///   against API Gateway, render missing values as empty strings);
    /// - the limits of [`Limits::api_gateway`](crate::Limits::api_gateway):
    ///   a `#foreach` of more than 1000 iterations fails the render, and a
    ///   template may be at most 300 KB.
    ApiGateway,
}
