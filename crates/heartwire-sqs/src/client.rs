//! The SDK client of a queue: the AWS configuration chain, the HTTP client without
//! aws-lc, and the credentials kept out of every message.

use std::fmt;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sqs::config::{Credentials, ProvideCredentials, Region};
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use heartwire_broker::{BrokerError, Endpoint, Fault, Step};

use crate::{Queue, SqsConfig};

/// The credentials of a client, only to take them out of messages.
#[derive(Clone, Default)]
pub(crate) struct Secrets(Vec<String>);

impl Secrets {
    /// `text` with every credential replaced by `***`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in &self.0 {
            if !secret.is_empty() {
                text = text.replace(secret.as_str(), "***");
            }
        }
        text
    }
}

/// Never shows them.
impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secrets(***)")
    }
}

/// A client of one queue, with what its errors need.
#[derive(Clone, Debug)]
pub(crate) struct QueueClient {
    pub(crate) sqs: aws_sdk_sqs::Client,
    pub(crate) queue: Queue,
    pub(crate) queue_url: String,
    pub(crate) endpoint: Endpoint,
    secrets: Secrets,
}

impl QueueClient {
    /// Reads the URL, loads the AWS configuration (region, credentials) and resolves the
    /// credentials once: a missing region or missing credentials fail here, not at the
    /// first message. Sends nothing to the queue.
    pub(crate) async fn new(config: &SqsConfig) -> Result<QueueClient, BrokerError> {
        let endpoint = config.endpoint.clone();
        let queue = Queue::parse(endpoint.url().secret()).map_err(|e| endpoint.bad_url(&e))?;
        // hyper 1 and rustls on ring: no C toolchain (the SDK's default is aws-lc-rs);
        // http:// URLs go out in plain text.
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .endpoint_url(queue.endpoint_url())
            // One attempt: a subscriber retries with its own backoff and reports the
            // outage; a sender's caller sees the error at once, as on every broker.
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(endpoint.timeout())
                    .build(),
            );
        if let Some(region) = queue.region() {
            loader = loader.region(Region::new(region.to_owned()));
        }
        if let Some((id, secret)) = &config.static_credentials {
            loader = loader.credentials_provider(Credentials::new(
                id.clone(),
                secret.clone(),
                None,
                None,
                "heartwire-sqs",
            ));
        }
        let sdk = tokio::time::timeout(endpoint.timeout(), loader.load())
            .await
            .map_err(|_| endpoint.cannot_connect(&"loading the AWS configuration timed out"))?;
        if sdk.region().is_none() {
            return Err(endpoint.bad_url(
                "no region: add ?region=<region> to the URL, or set AWS_REGION or a profile's region",
            ));
        }
        let provider = sdk.credentials_provider().ok_or_else(|| {
            endpoint.cannot_connect(&"no AWS credentials provider (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)")
        })?;
        let credentials = tokio::time::timeout(endpoint.timeout(), provider.provide_credentials())
            .await
            .map_err(|_| {
                endpoint.cannot_connect(&format_args!(
                    "no AWS credentials within {:?} (set AWS_ACCESS_KEY_ID and \
                         AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)",
                    endpoint.timeout()
                ))
            })?
            .map_err(|e| {
                endpoint.cannot_connect(&format_args!(
                    "no AWS credentials ({}): set AWS_ACCESS_KEY_ID and \
                         AWS_SECRET_ACCESS_KEY, or AWS_PROFILE",
                    DisplayErrorContext(&e)
                ))
            })?;
        let mut secrets = vec![
            credentials.access_key_id().to_owned(),
            credentials.secret_access_key().to_owned(),
        ];
        secrets.extend(credentials.session_token().map(str::to_owned));
        if let Some((id, secret)) = &config.static_credentials {
            secrets.extend([id.clone(), secret.clone()]);
        }
        let secrets = Secrets(secrets);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        Ok(QueueClient {
            queue_url: queue.queue_url(),
            sqs,
            queue,
            endpoint,
            secrets,
        })
    }

    /// The SDK's failure while doing `during`, with its whole chain of causes, scrubbed
    /// of the URL's secrets and the credentials.
    pub(crate) fn failed(
        &self,
        during: Step,
        e: &(dyn std::error::Error + 'static),
    ) -> BrokerError {
        let text = self.secrets.scrub(&DisplayErrorContext(e).to_string());
        self.endpoint.failed(during, &text)
    }

    /// Runs one request, at most `extra` longer than the timeout (a long poll's wait).
    pub(crate) async fn request<T, E>(
        &self,
        during: Step,
        extra: Duration,
        request: impl Future<Output = Result<T, E>>,
    ) -> Result<T, BrokerError>
    where
        E: std::error::Error + 'static,
    {
        match tokio::time::timeout(self.endpoint.timeout() + extra, request).await {
            Ok(Ok(t)) => Ok(t),
            Ok(Err(e)) => Err(self.failed(during, &e)),
            Err(_) => Err(self
                .endpoint
                .error(during, Fault::Timeout(self.endpoint.timeout() + extra))),
        }
    }
}
