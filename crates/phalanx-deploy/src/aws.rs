//! The AWS clients: region, credentials and profile through the SDK's
//! standard chain (`aws-config`), `AWS_ENDPOINT_URL` honoured. With an
//! endpoint override, S3 is addressed path-style (`ENDPOINT/BUCKET/KEY`),
//! which local AWS servers expect, and so is the template's URL.

use crate::Error;
use aws_config::BehaviorVersion;

/// Where the SDK looks for its settings, beyond the environment.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// A named profile (`--profile`; else `AWS_PROFILE` or `default`).
    pub profile: Option<String>,
    /// A region (`--region`; else `AWS_REGION` or the profile's).
    pub region: Option<String>,
}

/// The clients a deploy uses, and what is needed to address S3 objects.
#[derive(Debug, Clone)]
pub struct Aws {
    /// CloudFormation.
    pub cloudformation: aws_sdk_cloudformation::Client,
    /// S3.
    pub s3: aws_sdk_s3::Client,
    /// The region everything happens in.
    pub region: String,
    /// S3's endpoint override, when there is one.
    s3_endpoint: Option<String>,
}

impl Aws {
    /// Loads the configuration and makes the clients; the error says what
    /// to set when no region is configured.
    pub async fn load(options: &AwsOptions) -> Result<Aws, Error> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &options.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        let config = loader.load().await;
        let Some(region) = config.region().map(ToString::to_string) else {
            return Err(Error::new(
                "no AWS region is configured: set AWS_REGION (or a profile's `region`, or pass --region)",
            ));
        };
        let s3_endpoint = std::env::var("AWS_ENDPOINT_URL_S3")
            .ok()
            .or_else(|| config.endpoint_url().map(str::to_string));
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(s3_endpoint.is_some())
                .build(),
        );
        Ok(Aws {
            cloudformation: aws_sdk_cloudformation::Client::new(&config),
            s3,
            region,
            s3_endpoint,
        })
    }

    /// The URL CloudFormation reads an uploaded template from.
    pub fn object_url(&self, bucket: &str, key: &str) -> String {
        match &self.s3_endpoint {
            Some(endpoint) => format!("{}/{bucket}/{key}", endpoint.trim_end_matches('/')),
            None => {
                let suffix = if self.region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                format!("https://{bucket}.s3.{}.{suffix}/{key}", self.region)
            }
        }
    }
}

/// An SDK error as one line: the service's code and message when it sent
/// them, else the SDK's own chain of causes.
pub fn describe_error<E, R>(error: &aws_sdk_cloudformation::error::SdkError<E, R>) -> String
where
    E: aws_sdk_cloudformation::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_cloudformation::error::SdkError;
    if let SdkError::ServiceError(service) = error {
        let e = service.err();
        if let Some(message) = e.message() {
            return match e.code() {
                Some(code) => format!("{code}: {message}"),
                None => message.to_string(),
            };
        }
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Turns an SDK error into an [`Error`] that says what was being done:
/// `.map_err(failed(format!("cannot delete stack {name}")))` gives
/// "cannot delete stack echo: ValidationError: …".
pub fn failed<E, R>(
    doing: impl std::fmt::Display,
) -> impl FnOnce(aws_sdk_cloudformation::error::SdkError<E, R>) -> Error
where
    E: aws_sdk_cloudformation::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    move |e| Error::new(format!("{doing}: {}", describe_error(&e)))
}

/// The error code AWS sent, if any.
pub fn error_code<E, R>(error: &aws_sdk_cloudformation::error::SdkError<E, R>) -> Option<&str>
where
    E: aws_sdk_cloudformation::error::ProvideErrorMetadata,
{
    match error {
        aws_sdk_cloudformation::error::SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}
