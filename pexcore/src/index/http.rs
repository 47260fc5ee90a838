//! The HTTP client of the index: TLS through the system trust store, proxies from the
//! environment, credentials from the URL or `.netrc` (never shown), timeouts, and retries with
//! backoff on connection errors and 5xx answers.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::Error;

/// How to reach the indexes: set from the command line (pip's flags of the same names).
#[derive(Clone, Debug)]
pub struct NetworkOptions {
    /// A PEM bundle that replaces the system trust store (`--cert`).
    pub cert: Option<camino::Utf8PathBuf>,
    /// Seconds without progress before a request fails (`--timeout`).
    pub timeout: Duration,
    /// How many times a failed request is tried again (`--retries`).
    pub retries: u32,
    /// The `.netrc` file to read credentials from; `None` reads none.
    pub netrc: Option<camino::Utf8PathBuf>,
}

impl Default for NetworkOptions {
    fn default() -> Self {
        Self { cert: None, timeout: Duration::from_secs(15), retries: 5, netrc: None }
    }
}

/// The most a response read into memory may hold (index pages, METADATA, ranges): the largest
/// real pages are tens of megabytes; a server that sends more is refused, not believed, and
/// reading it stays within about twice this much memory.
const MAX_BODY: u64 = 64 * 1024 * 1024;

/// A response that was read in full.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: ureq::http::HeaderMap,
    pub(crate) body: Vec<u8>,
    /// The URL that answered, after redirects.
    pub(crate) url: Url,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// The HTTP client: one connection pool for every index and file host.
#[derive(Clone)]
pub(crate) struct Client {
    agent: ureq::Agent,
    options: NetworkOptions,
    credentials: Arc<Vec<Credential>>,
}

/// A user name and password for one host (and port).
#[derive(Clone)]
pub(crate) struct Credential {
    pub(crate) host: String,
    port: Option<u16>,
    authorization: String,
}

impl Client {
    /// A client for `options`; `index_urls` lend their embedded credentials to every request to
    /// the same host, as pip does (file URLs often sit on the index's host).
    pub(crate) fn new(options: &NetworkOptions, index_urls: &[Url]) -> Result<Self, Error> {
        use ureq::tls::{RootCerts, TlsConfig};
        let root_certs = match &options.cert {
            None => RootCerts::PlatformVerifier,
            Some(path) => {
                let pem = fs_err::read(path).map_err(|source| Error::Cert { path: path.clone(), source })?;
                let certificates = ureq::tls::parse_pem(&pem)
                    .filter_map(|item| match item {
                        Ok(ureq::tls::PemItem::Certificate(certificate)) => Some(certificate),
                        _ => None,
                    })
                    .collect::<Vec<_>>();
                if certificates.is_empty() {
                    return Err(Error::CertEmpty { path: path.clone() });
                }
                RootCerts::Specific(Arc::new(certificates))
            }
        };
        // A year is "never" for a request; more could overflow the clock the timeouts are added to.
        let timeout = options.timeout.min(Duration::from_hours(365 * 24));
        let config = ureq::Agent::config_builder()
            .tls_config(TlsConfig::builder().root_certs(root_certs).build())
            .http_status_as_error(false)
            .timeout_connect(Some(timeout))
            .timeout_per_read(Some(timeout))
            .user_agent(format!("pex-rs/{}", crate::VERSION))
            .max_idle_connections_per_host(32)
            // Files often redirect within the index's host; keep its credentials there only.
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::SameHost)
            .build();
        let mut credentials: Vec<Credential> = index_urls.iter().filter_map(Credential::from_url).collect();
        if let Some(path) = &options.netrc {
            credentials.extend(read_netrc(path));
        }
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::default(),
            SharedResolver::default(),
        );
        Ok(Self { agent, options: options.clone(), credentials: Arc::new(credentials) })
    }

    /// GET `url` with `headers`, read in full; retried on connection errors and 5xx answers.
    pub(crate) fn get(&self, url: &Url, headers: &[(&str, &str)]) -> Result<Response, Error> {
        self.with_retries(url, |attempt_url| {
            let mut response = self.request(attempt_url, headers).call()?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.body_mut().with_config().limit(MAX_BODY).read_to_vec()?;
            Ok(Response { status, headers, body, url: final_url(attempt_url, &response) })
        })
    }

    /// GET `url` and hand the body to `consume` as a reader, with its length when known (for
    /// downloads that stream to a file); `consume` runs again from the start on a retry.
    pub(crate) fn get_streaming<T>(
        &self,
        url: &Url,
        mut consume: impl FnMut(&mut dyn Read, Option<u64>) -> std::io::Result<T>,
    ) -> Result<T, Error> {
        self.with_retries(url, |attempt_url| {
            let mut response = self.request(attempt_url, &[]).call()?;
            let status = response.status().as_u16();
            if status != 200 {
                return Ok(Err(status));
            }
            let length = response.body().content_length();
            let mut reader = response.body_mut().as_reader();
            consume(&mut reader, length).map(Ok).map_err(ureq::Error::Io)
        })?
        .map_err(|status| match status {
            401 | 403 => Error::Unauthorized { url: redact(url), status },
            _ => Error::Status { url: redact(url), status },
        })
    }

    fn request(&self, url: &Url, headers: &[(&str, &str)]) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        let mut request = self.agent.get(without_credentials(url).as_str());
        if let Some(authorization) = Credential::from_url(url)
            .or_else(|| self.credentials.iter().find(|credential| credential.matches(url)).cloned())
            .map(|credential| credential.authorization)
        {
            request = request.header("Authorization", authorization);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request
    }

    /// Runs `attempt` until it succeeds, answers with a status below 500, or the retries are
    /// spent; waits 0.25 s, 0.5 s, 1 s, ... (at most 8 s) between tries.
    fn with_retries<T: StatusOf>(
        &self,
        url: &Url,
        mut attempt: impl FnMut(&Url) -> Result<T, ureq::Error>,
    ) -> Result<T, Error> {
        let mut tries = 0;
        loop {
            let failure = match attempt(url) {
                Ok(value) if value.status().is_none_or(|status| status < 500) => return Ok(value),
                Ok(value) => format!("the server answered {}", value.status().unwrap_or_default()),
                // Trying again cannot fix a certificate, nor shrink an answer.
                Err(error) if is_tls(&error) => {
                    return Err(Error::Tls { url: redact(url), reason: describe(&error) });
                }
                Err(ureq::Error::BodyExceedsLimit(_)) => {
                    return Err(Error::TooLarge { url: redact(url), limit: MAX_BODY });
                }
                Err(error) => describe(&error),
            };
            tries += 1;
            if tries > self.options.retries {
                return Err(Error::Network { url: redact(url), reason: failure, tries });
            }
            tracing::debug!("{} failed ({failure}); trying again", redact(url));
            std::thread::sleep(Duration::from_millis(250 << (tries - 1).min(5)));
        }
    }
}

/// Resolves each host once for all connections. Many connections open at once when the
/// resolver starts (pages and metadata are fetched in parallel), and parallel lookups through
/// the system resolver sometimes lose a UDP answer and wait out its 5-second retry.
#[derive(Debug, Default)]
struct SharedResolver {
    inner: ureq::unversioned::resolver::DefaultResolver,
    hosts: std::sync::Mutex<HashMap<String, Arc<std::sync::Mutex<Option<ResolvedSocketAddrs>>>>>,
}

impl ureq::unversioned::resolver::Resolver for SharedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or_default(),
            uri.authority().map_or("", |authority| authority.as_str())
        );
        let host = {
            let mut hosts = self.hosts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(hosts.entry(key).or_default())
        };
        // Held while resolving: the other connections to this host wait for the one lookup.
        let mut addresses = host.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(addresses) = addresses.as_ref() {
            return Ok(addresses.clone());
        }
        let resolved = self.inner.resolve(uri, config, timeout)?;
        *addresses = Some(resolved.clone());
        Ok(resolved)
    }
}

type ResolvedSocketAddrs = ureq::unversioned::resolver::ResolvedSocketAddrs;

/// What the retry loop needs to know about an attempt's result.
trait StatusOf {
    fn status(&self) -> Option<u16>;
}

impl StatusOf for Response {
    fn status(&self) -> Option<u16> {
        Some(self.status)
    }
}

impl<T> StatusOf for Result<T, u16> {
    fn status(&self) -> Option<u16> {
        self.as_ref().err().copied()
    }
}

fn final_url(requested: &Url, response: &ureq::http::Response<ureq::Body>) -> Url {
    use ureq::ResponseExt as _;
    Url::parse(&response.get_uri().to_string()).unwrap_or_else(|_| requested.clone())
}

/// A short, credential-free reason for a failed request.
fn describe(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Timeout(_) => "it timed out".to_owned(),
        ureq::Error::HostNotFound => "the host name did not resolve".to_owned(),
        ureq::Error::ConnectionFailed => "the connection failed".to_owned(),
        ureq::Error::Io(error) => error.to_string(),
        other => other.to_string(),
    }
}

/// `true` for a failure of TLS itself (an untrusted or invalid certificate).
fn is_tls(error: &ureq::Error) -> bool {
    match error {
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => true,
        // rustls reports a refused certificate through the I/O layer.
        ureq::Error::Io(io) => io.to_string().contains("certificate"),
        _ => false,
    }
}

/// `url` without its secrets, for messages: the password, or a lone user name (often a
/// token), becomes `****`.
pub(crate) fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("****"));
    } else if !shown.username().is_empty() {
        let _ = shown.set_username("****");
    }
    shown.set_fragment(None);
    shown.to_string()
}

/// `text` (a URL as the user wrote it, perhaps invalid) with anything between `://` and an
/// `@` hidden, for messages about URLs that did not parse.
pub(crate) fn redact_text(text: &str) -> String {
    let Some(start) = text.find("://").map(|index| index + 3) else { return text.to_owned() };
    let authority_end = text[start..].find(['/', '?', '#']).map_or(text.len(), |index| start + index);
    match text[start..authority_end].rfind('@') {
        Some(at) => format!("{}****{}", &text[..start], &text[start + at..]),
        None => text.to_owned(),
    }
}

impl Credential {
    fn from_url(url: &Url) -> Option<Self> {
        if url.username().is_empty() {
            return None;
        }
        let user = percent_decoded(url.username());
        let password = url.password().map(percent_decoded).unwrap_or_default();
        Some(Self {
            host: url.host_str()?.to_owned(),
            port: url.port_or_known_default(),
            authorization: basic_authorization(&user, &password),
        })
    }

    fn matches(&self, url: &Url) -> bool {
        url.host_str() == Some(self.host.as_str()) && (self.port.is_none() || self.port == url.port_or_known_default())
    }
}

/// `text` with its `%XX` escapes decoded (URL user names, passwords, path segments).
pub(crate) fn percent_decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// `url` without user name, password or fragment: what is requested, and what keys the cache.
pub(crate) fn without_credentials(url: &Url) -> Url {
    let mut clean = url.clone();
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    clean.set_fragment(None);
    clean
}

fn basic_authorization(user: &str, password: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{user}:{password}").into_bytes();
    let mut encoded = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let buffer =
            chunk.iter().enumerate().fold(0u32, |buffer, (index, byte)| buffer | u32::from(*byte) << (16 - 8 * index));
        for index in 0..4 {
            if index <= chunk.len() {
                encoded.push(ALPHABET[(buffer >> (18 - 6 * index) & 63) as usize] as char);
            } else {
                encoded.push('=');
            }
        }
    }
    format!("Basic {encoded}")
}

/// Reads the `machine` entries of a `.netrc` file (a missing or unreadable file has none);
/// `default` entries are ignored so credentials never go to an unnamed host.
fn read_netrc(path: &camino::Utf8Path) -> Vec<Credential> {
    fs_err::read_to_string(path).map(|text| parse_netrc(&text)).unwrap_or_default()
}

/// The `machine` entries of the text of a `.netrc` file, as [`read_netrc`] reads them.
pub(crate) fn parse_netrc(text: &str) -> Vec<Credential> {
    let mut credentials = Vec::new();
    let mut tokens = text.split_whitespace();
    let mut current: Option<(String, String, String)> = None;
    let mut finish = |entry: Option<(String, String, String)>| {
        if let Some((host, login, password)) = entry
            && !host.is_empty()
        {
            credentials.push(Credential { host, port: None, authorization: basic_authorization(&login, &password) });
        }
    };
    while let Some(token) = tokens.next() {
        match token {
            "machine" => {
                finish(current.take());
                current = Some((tokens.next().unwrap_or_default().to_owned(), String::new(), String::new()));
            }
            // `macdef` bodies run to a blank line; they never hold credentials.
            "default" | "macdef" => finish(current.take()),
            "login" => {
                if let (Some(entry), Some(value)) = (current.as_mut(), tokens.next()) {
                    value.clone_into(&mut entry.1);
                }
            }
            "password" => {
                if let (Some(entry), Some(value)) = (current.as_mut(), tokens.next()) {
                    value.clone_into(&mut entry.2);
                }
            }
            _ => {}
        }
    }
    finish(current);
    credentials
}

#[cfg(test)]
mod tests {
    use super::{basic_authorization, read_netrc, redact};

    #[test]
    fn ok_basic_authorization() {
        assert_eq!(basic_authorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert_eq!(basic_authorization("a", "b"), "Basic YTpi");
    }

    #[test]
    fn ok_redact() {
        let url = url::Url::parse("https://user:secret@host.invalid/simple/#frag").unwrap();
        assert_eq!(redact(&url), "https://user:****@host.invalid/simple/");
        let url = url::Url::parse("https://token@host.invalid/simple/").unwrap();
        assert_eq!(redact(&url), "https://****@host.invalid/simple/");
        assert_eq!(super::redact_text("ftp://u:pw@host:99999/x"), "ftp://****@host:99999/x");
        assert_eq!(super::redact_text("not a url"), "not a url");
    }

    #[test]
    fn ok_netrc() {
        let directory = tempfile::tempdir().unwrap();
        let path = camino::Utf8PathBuf::from_path_buf(directory.path().join("netrc")).unwrap();
        std::fs::write(&path, "machine a.invalid login u password p\ndefault login x password y\n").unwrap();
        let credentials = read_netrc(&path);
        assert_eq!(credentials.len(), 1);
        assert_eq!(credentials[0].host, "a.invalid");
        assert_eq!(credentials[0].authorization, basic_authorization("u", "p"));
    }
}
