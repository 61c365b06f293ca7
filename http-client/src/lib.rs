//! The HTTP client for calls to a sign-in provider (the back office's OpenID provider, GitHub for the
//! editors): discovery, the provider's keys and the token endpoint, over hyper with rustls (the system's
//! roots, as the AWS SDK's client). It never follows redirects (a provider that redirects its token
//! endpoint is misconfigured, and following would let an answer send us elsewhere), and every call has a
//! time limit. Requests and answers are the `http` crate's, as `oauth2` and `openidconnect` take them.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A request as `oauth2` and `openidconnect` make it.
pub type HttpRequest = http::Request<Vec<u8>>;
/// An answer as they read it.
pub type HttpResponse = http::Response<Vec<u8>>;

/// How long one call to the provider may take, connecting included.
const CALL_LIMIT: Duration = Duration::from_secs(5);
/// The largest answer read from the provider (discovery documents and key sets are a few KB).
const ANSWER_LIMIT: usize = 1 << 20;

#[derive(Clone)]
pub struct ProviderClient {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

#[derive(Debug)]
pub struct CallError(pub String);

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CallError {}

impl ProviderClient {
    /// A client for `https://` providers, and `http://` ones on loopback (the local provider).
    pub fn new() -> Result<ProviderClient, String> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|err| format!("the system's certificate roots could not be read: {err}"))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(ProviderClient {
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// One request to the provider. Plain `http://` is refused unless the host is loopback.
    pub async fn call(&self, request: HttpRequest) -> Result<HttpResponse, CallError> {
        let uri = request.uri().clone();
        if uri.scheme_str() != Some("https") && !is_loopback(uri.host().unwrap_or_default()) {
            return Err(CallError(format!(
                "{uri}: the provider must be reached over https"
            )));
        }
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, Full::new(Bytes::from(body)));
        let answer = tokio::time::timeout(CALL_LIMIT, async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|err| CallError(format!("{uri}: {err}")))?;
            let (parts, body) = response.into_parts();
            let body = http_body_util::Limited::new(body, ANSWER_LIMIT)
                .collect()
                .await
                .map_err(|err| CallError(format!("{uri}: the answer could not be read: {err}")))?
                .to_bytes();
            Ok::<_, CallError>(HttpResponse::from_parts(parts, body.to_vec()))
        })
        .await
        .map_err(|_| CallError(format!("{uri}: no answer within {CALL_LIMIT:?}")))??;
        Ok(answer)
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_may_be_plain_http() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("[::1]"));
        assert!(is_loopback("localhost"));
        assert!(!is_loopback("example.nl"));
        assert!(!is_loopback("127.0.0.1.example.nl"));
    }

    #[tokio::test]
    async fn plain_http_elsewhere_is_refused_before_any_connection() {
        let client = ProviderClient::new().unwrap();
        let request = http::Request::builder()
            .uri("http://login.example.nl/.well-known/openid-configuration")
            .body(Vec::new())
            .unwrap();
        let err = client.call(request).await.unwrap_err();
        assert!(err.0.contains("https"), "{err}");
    }
}
