//! A hermetic package index on 127.0.0.1: PEP 503 HTML and PEP 691 JSON project pages, PEP 658
//! metadata files, byte ranges, ETags, basic auth, a find-links page, injected failures and
//! delays, and a log of every request. Every page links to files by relative URL, so a client
//! must resolve `href`/`url` against the page it fetched.
//!
//! Layout: `/simple/` (project list), `/simple/<normalized-name>/` (project page),
//! `/files/<filename>` (the file), `/files/<filename>.metadata` (its METADATA), `/links/`
//! (find-links page).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::ops::RangeInclusive;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::support::{WheelBuilder, standard_base64};

/// The PEP 691 media type; a request whose `Accept` names it gets JSON.
const JSON_TYPE: &str = "application/vnd.pypi.simple.v1+json";
const HTML_TYPE: &str = "text/html; charset=utf-8";

/// A file the index serves, and what the index says about it.
#[derive(Clone, Debug)]
pub(crate) struct ServedFile {
    filename: String,
    bytes: Vec<u8>,
    /// The wheel's `*.dist-info/METADATA`, served as `<filename>.metadata`.
    metadata: Option<Vec<u8>>,
    yanked: Option<String>,
    requires_python: Option<String>,
    lie_about_hash: bool,
}

impl ServedFile {
    /// Serves `bytes` as `filename`; a wheel's METADATA supplies its advertised `Requires-Python`.
    pub(crate) fn new(filename: &str, bytes: Vec<u8>) -> Self {
        let metadata = filename.ends_with(".whl").then(|| wheel_metadata(&bytes)).flatten();
        let requires_python = metadata.as_deref().and_then(metadata_requires_python);
        Self { filename: filename.to_owned(), bytes, metadata, yanked: None, requires_python, lie_about_hash: false }
    }

    /// The bytes served.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The wheel `wheel` builds, under its own file name.
    pub(crate) fn from_wheel(wheel: &WheelBuilder) -> Self {
        Self::new(&wheel.filename(), wheel.bytes())
    }

    /// Marks the file yanked (PEP 592); an empty `reason` is a yank without one.
    #[must_use]
    pub(crate) fn yanked(mut self, reason: &str) -> Self {
        self.yanked = Some(reason.to_owned());
        self
    }

    /// Advertises `specifier` as `Requires-Python` instead of what the METADATA says.
    #[must_use]
    pub(crate) fn requires_python(mut self, specifier: &str) -> Self {
        self.requires_python = Some(specifier.to_owned());
        self
    }

    /// Serves `metadata` as the file's PEP 658 METADATA, whatever the wheel holds: an index
    /// whose metadata disagrees with its wheel.
    #[must_use]
    pub(crate) fn metadata_file(mut self, metadata: &str) -> Self {
        self.metadata = Some(metadata.as_bytes().to_vec());
        self
    }

    /// Advertises the sha256 of other bytes than those served, so a client must catch the mismatch.
    #[must_use]
    pub(crate) fn lie_about_hash(mut self) -> Self {
        self.lie_about_hash = true;
        self
    }
}

/// One request as the server received it.
#[derive(Clone, Debug)]
pub(crate) struct LoggedRequest {
    /// `GET`, `HEAD`, ...
    pub(crate) method: String,
    /// The request path without its query, as sent (not percent-decoded).
    pub(crate) path: String,
    /// The `Range` header.
    pub(crate) range: Option<String>,
    /// The `Accept` header.
    pub(crate) accept: Option<String>,
    /// The `Authorization` header.
    pub(crate) authorization: Option<String>,
    /// The `If-None-Match` header.
    pub(crate) if_none_match: Option<String>,
}

/// A way a lying or broken server answers one path.
#[derive(Clone, Debug)]
pub(crate) enum Misbehaviour {
    /// Declares the whole file's length, sends half of it, and closes the connection.
    StopsEarly,
    /// Sends zeros with no length and no end, until the client hangs up.
    Endless,
    /// Sends `body` as it is with `Content-Encoding: gzip` (a gzip bomb when it inflates to far
    /// more than the file).
    Gzip(Vec<u8>),
    /// Redirects (302) to `location`, which may be on another host.
    Redirect(String),
    /// Answers 200 with an HTML error page.
    HtmlPage,
    /// Answers 200 with `body` as a PEP 691 JSON page.
    Json(Vec<u8>),
}

/// Configures an [`IndexServer`] before it starts.
pub(crate) struct IndexServerBuilder {
    files: Vec<ServedFile>,
    options: Options,
}

impl IndexServerBuilder {
    /// Whether PEP 691 JSON is offered; off mimics an HTML-only mirror. Defaults to on.
    #[must_use]
    pub(crate) fn json(mut self, enabled: bool) -> Self {
        self.options.json = enabled;
        self
    }

    /// Whether PEP 658 metadata files are served and advertised. Defaults to on.
    #[must_use]
    pub(crate) fn metadata(mut self, enabled: bool) -> Self {
        self.options.metadata = enabled;
        self
    }

    /// Whether files honour `Range` requests. Defaults to on.
    #[must_use]
    pub(crate) fn ranges(mut self, enabled: bool) -> Self {
        self.options.ranges = enabled;
        self
    }

    /// Requires HTTP basic auth with these credentials on every request.
    #[must_use]
    pub(crate) fn basic_auth(mut self, user: &str, password: &str) -> Self {
        self.options.authorization = Some(basic_authorization(user, password));
        self
    }

    /// Serves `html` as the page of `project` (its links relative to `/simple/<project>/`, so
    /// `../../files/NAME` names a served file), whatever files it has.
    #[must_use]
    pub(crate) fn page(mut self, project: &str, html: &str) -> Self {
        self.options.pages.push((normalize(project), html.to_owned()));
        self
    }

    /// Answers requests for `path` (`/files/NAME`, `/simple/NAME/`) as `misbehaviour` says.
    #[must_use]
    pub(crate) fn misbehave(mut self, path: &str, misbehaviour: Misbehaviour) -> Self {
        self.options.misbehaviours.push((path.to_owned(), misbehaviour));
        self
    }

    /// Binds a free port on 127.0.0.1 and starts serving.
    pub(crate) fn start(self) -> IndexServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the index server");
        let address = listener.local_addr().expect("index server address");
        let entries = self.files.into_iter().map(Entry::new).collect();
        let shared = Arc::new(Shared {
            entries,
            options: self.options,
            state: Mutex::default(),
            stopping_changed: Condvar::new(),
        });
        let acceptor_shared = Arc::clone(&shared);
        let acceptor = std::thread::spawn(move || accept_loop(&acceptor_shared, &listener));
        IndexServer { address, shared, acceptor: Some(acceptor) }
    }
}

/// A running index; dropping it stops the server and closes its connections.
pub(crate) struct IndexServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl IndexServer {
    /// Serves `files` with JSON, metadata files and ranges on, and no auth.
    pub(crate) fn start(files: Vec<ServedFile>) -> Self {
        Self::builder(files).start()
    }

    /// A server for `files` to configure before starting.
    pub(crate) fn builder(files: Vec<ServedFile>) -> IndexServerBuilder {
        let options = Options {
            json: true,
            metadata: true,
            ranges: true,
            authorization: None,
            pages: Vec::new(),
            misbehaviours: Vec::new(),
        };
        IndexServerBuilder { files, options }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The simple index root, `http://127.0.0.1:PORT/simple/`.
    pub(crate) fn simple_url(&self) -> String {
        format!("{}/simple/", self.url())
    }

    /// The find-links page, `http://127.0.0.1:PORT/links/`.
    pub(crate) fn find_links_url(&self) -> String {
        format!("{}/links/", self.url())
    }

    /// Answers the next `count` requests whose path starts with `prefix` with a 500.
    pub(crate) fn fail_next(&self, prefix: &str, count: usize) {
        let mut state = self.shared.state();
        state.failures.retain(|(other, _)| other != prefix);
        state.failures.push((prefix.to_owned(), count));
    }

    /// Holds every request whose path starts with `prefix` for `duration`; zero removes the delay.
    pub(crate) fn delay(&self, prefix: &str, duration: Duration) {
        let mut state = self.shared.state();
        state.delays.retain(|(other, _)| other != prefix);
        if !duration.is_zero() {
            state.delays.push((prefix.to_owned(), duration));
        }
    }

    /// Every request so far, oldest first.
    pub(crate) fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.state().log.clone()
    }

    /// How many requests so far match `predicate`.
    pub(crate) fn count(&self, predicate: impl Fn(&LoggedRequest) -> bool) -> usize {
        self.shared.state().log.iter().filter(|request| predicate(request)).count()
    }

    /// Forgets the requests so far, say between a cold and a warm build.
    pub(crate) fn clear_log(&self) {
        self.shared.state().log.clear();
    }
}

impl Drop for IndexServer {
    fn drop(&mut self) {
        self.shared.state().stopping = true;
        self.shared.stopping_changed.notify_all();
        // `accept` blocks until a connection arrives, so make one for it to notice the flag.
        let _ = TcpStream::connect(self.address);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// The `Authorization` header value for HTTP basic auth.
pub(crate) fn basic_authorization(user: &str, password: &str) -> String {
    format!("Basic {}", standard_base64(format!("{user}:{password}").as_bytes()))
}

#[derive(Clone, Debug)]
struct Options {
    json: bool,
    metadata: bool,
    ranges: bool,
    /// The exact `Authorization` value required, if any.
    authorization: Option<String>,
    /// Project pages served as given (HTML), instead of the listing of the served files: a
    /// hostile or broken index.
    pages: Vec<(String, String)>,
    /// Paths answered by a lying or broken server.
    misbehaviours: Vec<(String, Misbehaviour)>,
}

/// A served file with what its pages advertise, computed once.
struct Entry {
    file: ServedFile,
    /// The PEP 503 normalized project name.
    project: String,
    version: String,
    advertised_sha256: String,
    metadata_sha256: Option<String>,
}

impl Entry {
    fn new(file: ServedFile) -> Self {
        let (name, version) = name_and_version(&file.filename);
        let advertised_sha256 = if file.lie_about_hash {
            sha256_hex(&[file.bytes.as_slice(), b"lie"].concat())
        } else {
            sha256_hex(&file.bytes)
        };
        let metadata_sha256 = file.metadata.as_deref().map(sha256_hex);
        Self { project: normalize(&name), version, advertised_sha256, metadata_sha256, file }
    }
}

/// What the acceptor and every connection thread share.
struct Shared {
    entries: Vec<Entry>,
    options: Options,
    state: Mutex<State>,
    /// Wakes delayed requests when the server stops, so dropping it never waits out a delay.
    stopping_changed: Condvar,
}

/// What tests change while the server runs.
#[derive(Default)]
struct State {
    stopping: bool,
    failures: Vec<(String, usize)>,
    delays: Vec<(String, Duration)>,
    log: Vec<LoggedRequest>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panicking connection thread must not hide the log from the test that asserts on it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn respond(&self, request: &Request) -> Response {
        let (delay, fail) = {
            let mut state = self.state();
            state.log.push(LoggedRequest {
                method: request.method.clone(),
                path: request.path.clone(),
                range: request.header("range").map(str::to_owned),
                accept: request.header("accept").map(str::to_owned),
                authorization: request.header("authorization").map(str::to_owned),
                if_none_match: request.header("if-none-match").map(str::to_owned),
            });
            let delay = state.delays.iter().find(|(prefix, _)| request.path.starts_with(prefix.as_str())).map(|d| d.1);
            let failure =
                state.failures.iter_mut().find(|(prefix, left)| *left > 0 && request.path.starts_with(prefix.as_str()));
            let fail = failure.map(|(_, left)| *left -= 1).is_some();
            (delay, fail)
        };
        if let Some(delay) = delay {
            let state = self.state();
            let _ = self.stopping_changed.wait_timeout_while(state, delay, |state| !state.stopping);
        }
        if fail {
            return Response::text(500, "injected failure");
        }
        if let Some(expected) = &self.options.authorization
            && request.header("authorization") != Some(expected.as_str())
        {
            return Response::text(401, "credentials required").header("WWW-Authenticate", "Basic realm=\"index\"");
        }
        if request.method != "GET" && request.method != "HEAD" {
            return Response::text(405, "only GET and HEAD");
        }
        self.route(request)
    }

    fn route(&self, request: &Request) -> Response {
        let path = request.path.as_str();
        if let Some((_, misbehaviour)) = self.options.misbehaviours.iter().find(|(other, _)| other == path) {
            let served = path
                .strip_prefix("/files/")
                .and_then(|name| self.entries.iter().find(|entry| entry.file.filename == name));
            let bytes = served.map(|entry| entry.file.bytes.clone()).unwrap_or_default();
            return match misbehaviour {
                Misbehaviour::StopsEarly => {
                    let half = bytes.len() / 2;
                    Response { tail: Tail::StopAt(half), ..Response::new(200, "application/octet-stream", bytes) }
                }
                Misbehaviour::Endless => {
                    Response { tail: Tail::Endless, ..Response::new(200, "application/octet-stream", Vec::new()) }
                }
                Misbehaviour::Gzip(body) => {
                    Response::new(200, "application/octet-stream", body.clone()).header("Content-Encoding", "gzip")
                }
                Misbehaviour::Redirect(location) => Response::text(302, "found").header("Location", location.clone()),
                Misbehaviour::HtmlPage => {
                    Response::new(200, HTML_TYPE, html_page("Error", "<p>Service unavailable</p>").into_bytes())
                }
                Misbehaviour::Json(body) => Response::new(200, JSON_TYPE, body.clone()),
            };
        }
        if path == "/simple" {
            return Response::redirect("/simple/");
        }
        if path == "/simple/" {
            return self.negotiated(request, self.root_html(), self.root_json());
        }
        if let Some(rest) = path.strip_prefix("/simple/") {
            let project = normalize(rest.trim_end_matches('/'));
            // Real indexes send every spelling of a name, and a missing slash, to one URL.
            if rest != format!("{project}/") {
                return Response::redirect(&format!("/simple/{project}/"));
            }
            if let Some((_, html)) = self.options.pages.iter().find(|(name, _)| *name == project) {
                return Response::new(200, HTML_TYPE, html.clone().into_bytes());
            }
            if self.entries.iter().any(|entry| entry.project == project) {
                return self.negotiated(request, self.project_html(&project), self.project_json(&project));
            }
        }
        if path == "/links/" {
            return Response::new(200, HTML_TYPE, self.links_html().into_bytes());
        }
        if let Some(filename) = path.strip_prefix("/files/") {
            if let Some(entry) = self.entries.iter().find(|entry| entry.file.filename == filename) {
                return self.file(request, &entry.file.bytes);
            }
            let metadata = filename
                .strip_suffix(".metadata")
                .filter(|_| self.options.metadata)
                .and_then(|wheel| self.entries.iter().find(|entry| entry.file.filename == wheel))
                .and_then(|entry| entry.file.metadata.as_deref());
            if let Some(metadata) = metadata {
                return self.file(request, metadata);
            }
        }
        Response::text(404, "not found")
    }

    /// The JSON or the HTML form of a page, by the `Accept` header, revalidated by `ETag`.
    fn negotiated(&self, request: &Request, html: String, json: String) -> Response {
        let wants_json = self.options.json && request.header("accept").is_some_and(|accept| accept.contains(JSON_TYPE));
        let (content_type, body) = if wants_json { (JSON_TYPE, json) } else { (HTML_TYPE, html) };
        let etag = format!("\"{}\"", &sha256_hex(body.as_bytes())[..32]);
        let fresh = request.header("if-none-match").is_some_and(|tags| {
            tags.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
        });
        let response =
            if fresh { Response::not_modified() } else { Response::new(200, content_type, body.into_bytes()) };
        response.header("ETag", etag).header("Cache-Control", "max-age=0, must-revalidate").header("Vary", "Accept")
    }

    fn file(&self, request: &Request, bytes: &[u8]) -> Response {
        if !self.options.ranges {
            return Response::new(200, "application/octet-stream", bytes.to_vec());
        }
        let length = bytes.len();
        let response = match requested_span(request.header("range"), length) {
            Span::Whole => Response::new(200, "application/octet-stream", bytes.to_vec()),
            Span::Part(span) => Response::new(206, "application/octet-stream", bytes[span.clone()].to_vec())
                .header("Content-Range", format!("bytes {}-{}/{length}", span.start(), span.end())),
            Span::Unsatisfiable => {
                Response::text(416, "range not satisfiable").header("Content-Range", format!("bytes */{length}"))
            }
        };
        response.header("Accept-Ranges", "bytes")
    }

    fn projects(&self) -> BTreeSet<&str> {
        self.entries.iter().map(|entry| entry.project.as_str()).collect()
    }

    fn root_html(&self) -> String {
        let mut links = String::new();
        for project in self.projects() {
            let _ = writeln!(links, "<a href=\"{project}/\">{project}</a><br/>");
        }
        html_page("Simple index", &links)
    }

    fn root_json(&self) -> String {
        let projects: Vec<_> = self.projects().iter().map(|project| json!({ "name": project })).collect();
        json!({ "meta": { "api-version": "1.1" }, "projects": projects }).to_string()
    }

    fn project_entries<'a>(&'a self, project: &'a str) -> impl Iterator<Item = &'a Entry> {
        self.entries.iter().filter(move |entry| entry.project == project)
    }

    fn project_html(&self, project: &str) -> String {
        let mut links = String::new();
        for entry in self.project_entries(project) {
            let filename = escape_html(&entry.file.filename);
            let _ = write!(links, "<a href=\"../../files/{filename}#sha256={}\"", entry.advertised_sha256);
            if let Some(specifier) = &entry.file.requires_python {
                let _ = write!(links, " data-requires-python=\"{}\"", escape_html(specifier));
            }
            if let Some(reason) = &entry.file.yanked {
                let _ = write!(links, " data-yanked=\"{}\"", escape_html(reason));
            }
            if self.options.metadata
                && let Some(digest) = &entry.metadata_sha256
            {
                // PEP 714 renamed the attribute; clients of either age must find it.
                let _ = write!(
                    links,
                    " data-dist-info-metadata=\"sha256={digest}\" data-core-metadata=\"sha256={digest}\""
                );
            }
            let _ = writeln!(links, ">{filename}</a><br/>");
        }
        html_page(&format!("Links for {project}"), &links)
    }

    fn project_json(&self, project: &str) -> String {
        let mut files = Vec::new();
        for entry in self.project_entries(project) {
            let mut file = json!({
                "filename": entry.file.filename,
                "url": format!("../../files/{}", entry.file.filename),
                "hashes": { "sha256": entry.advertised_sha256 },
                "yanked": match entry.file.yanked.as_deref() {
                    None => json!(false),
                    Some("") => json!(true),
                    Some(reason) => json!(reason),
                },
                "size": entry.file.bytes.len(),
                "upload-time": "2024-05-01T12:00:00.000000Z",
            });
            if let Some(specifier) = &entry.file.requires_python {
                file["requires-python"] = json!(specifier);
            }
            if self.options.metadata {
                let metadata =
                    entry.metadata_sha256.as_ref().map_or(json!(false), |digest| json!({ "sha256": digest }));
                file["core-metadata"] = metadata.clone();
                file["dist-info-metadata"] = metadata;
            }
            files.push(file);
        }
        let versions: BTreeSet<&str> = self.project_entries(project).map(|entry| entry.version.as_str()).collect();
        json!({ "meta": { "api-version": "1.1" }, "name": project, "files": files, "versions": versions }).to_string()
    }

    fn links_html(&self) -> String {
        let mut links = String::new();
        for entry in &self.entries {
            let _ = writeln!(links, "<a href=\"../files/{0}\">{0}</a><br/>", escape_html(&entry.file.filename));
        }
        html_page("Find links", &links)
    }
}

/// Accepts connections, one thread each, until the server stops; then closes them all.
fn accept_loop(shared: &Arc<Shared>, listener: &TcpListener) {
    let mut connections: Vec<(TcpStream, JoinHandle<()>)> = Vec::new();
    for stream in listener.incoming() {
        if shared.state().stopping {
            break;
        }
        let Ok(stream) = stream else { continue };
        let Ok(handle) = stream.try_clone() else { continue };
        connections.retain(|(_, thread)| !thread.is_finished());
        let connection_shared = Arc::clone(shared);
        connections.push((handle, std::thread::spawn(move || serve_connection(&connection_shared, stream))));
    }
    // A kept-alive connection blocks in `read` until its client leaves; shutting it down ends that.
    for (stream, _) in &connections {
        let _ = stream.shutdown(Shutdown::Both);
    }
    for (_, thread) in connections {
        let _ = thread.join();
    }
}

/// Answers requests on one connection until the client closes it or asks to.
fn serve_connection(shared: &Shared, stream: TcpStream) {
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    loop {
        let (response, head_only, close) = match read_request(&mut reader) {
            Ok(Some(request)) => (shared.respond(&request), request.method == "HEAD", request.close),
            Ok(None) => return,
            Err(_) => (Response::text(400, "bad request"), false, true),
        };
        if response.write(&mut writer, head_only, close).is_err() || close {
            return;
        }
    }
}

/// A parsed request head; any body is read and dropped.
struct Request {
    method: String,
    path: String,
    /// Header names lowercased.
    headers: Vec<(String, String)>,
    /// Whether the client wants the connection closed after this response.
    close: bool,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(other, _)| other == name).map(|(_, value)| value.as_str())
    }
}

/// The next request on a connection, or `None` once the client has closed it.
fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let invalid = || io::Error::new(io::ErrorKind::InvalidData, "malformed request");
    let mut words = line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (words.next(), words.next(), words.next()) else {
        return Err(invalid());
    };
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').ok_or_else(invalid)?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut request = Request {
        method: method.to_owned(),
        path: target.split('?').next().unwrap_or_default().to_owned(),
        headers,
        close: false,
    };
    let connection = request.header("connection").map(str::to_ascii_lowercase);
    request.close = connection.as_deref() == Some("close")
        || (version == "HTTP/1.0" && connection.as_deref() != Some("keep-alive"));
    let body_length = request.header("content-length").map_or(Ok(0), str::parse::<u64>).map_err(|_| invalid())?;
    io::copy(&mut reader.by_ref().take(body_length), &mut io::sink())?;
    Ok(Some(request))
}

struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    tail: Tail,
}

/// How a response's body ends.
#[derive(Clone, Copy)]
enum Tail {
    /// As its `Content-Length` says.
    Whole,
    /// After this many bytes, with the connection closed (the length says more).
    StopAt(usize),
    /// Never: zeros with no length until the client hangs up.
    Endless,
}

impl Response {
    fn new(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Self { status, headers: vec![("Content-Type", content_type.to_owned())], body, tail: Tail::Whole }
    }

    fn text(status: u16, text: &str) -> Self {
        Self::new(status, "text/plain; charset=utf-8", text.as_bytes().to_vec())
    }

    fn redirect(location: &str) -> Self {
        Self::text(301, "moved").header("Location", location)
    }

    fn not_modified() -> Self {
        Self { status: 304, headers: Vec::new(), body: Vec::new(), tail: Tail::Whole }
    }

    #[must_use]
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Writes the response; a HEAD answer keeps the `Content-Length` of the body it leaves out.
    fn write(&self, stream: &mut TcpStream, head_only: bool, close: bool) -> io::Result<()> {
        let reason = match self.status {
            200 => "OK",
            206 => "Partial Content",
            301 => "Moved Permanently",
            302 => "Found",
            304 => "Not Modified",
            400 => "Bad Request",
            401 => "Unauthorized",
            404 => "Not Found",
            405 => "Method Not Allowed",
            416 => "Range Not Satisfiable",
            _ => "Internal Server Error",
        };
        let mut head = format!("HTTP/1.1 {} {reason}\r\n", self.status);
        for (name, value) in &self.headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        // A 304 has no body, and RFC 9110 forbids a Content-Length other than the full body's.
        if self.status != 304 && !matches!(self.tail, Tail::Endless) {
            let _ = write!(head, "Content-Length: {}\r\n", self.body.len());
        }
        if close || !matches!(self.tail, Tail::Whole) {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut message = head.into_bytes();
        if !head_only {
            match self.tail {
                Tail::Whole => message.extend_from_slice(&self.body),
                Tail::StopAt(length) => message.extend_from_slice(&self.body[..length]),
                Tail::Endless => {}
            }
        }
        stream.write_all(&message)?;
        if matches!(self.tail, Tail::Endless) && !head_only {
            let zeros = vec![0u8; 64 * 1024];
            loop {
                stream.write_all(&zeros)?; // fails once the client hangs up
            }
        }
        stream.flush()?;
        if let Tail::Whole = self.tail {
            return Ok(());
        }
        // Ends the connection (the acceptor keeps a handle to every connection, so dropping this
        // one would not): the client must see a body shorter than its length.
        let _ = stream.shutdown(Shutdown::Both);
        Err(io::Error::other("the body was cut short on purpose"))
    }
}

/// What a `Range` header asks of a body.
enum Span {
    Whole,
    Part(RangeInclusive<usize>),
    Unsatisfiable,
}

/// The single byte range `header` asks of `length` bytes. Anything else gets the whole body,
/// which RFC 9110 allows (several ranges would need a multipart body).
fn requested_span(header: Option<&str>, length: usize) -> Span {
    let Some((first, last)) = header.and_then(|header| header.trim().strip_prefix("bytes=")?.split_once('-')) else {
        return Span::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        return match last.parse::<usize>() {
            Ok(0) => Span::Unsatisfiable,
            Ok(_) if length == 0 => Span::Unsatisfiable,
            Ok(suffix) => Span::Part(length.saturating_sub(suffix)..=length - 1),
            Err(_) => Span::Whole,
        };
    }
    let Ok(start) = first.parse::<usize>() else { return Span::Whole };
    let end = if last.is_empty() { Ok(usize::MAX) } else { last.parse::<usize>() };
    match end {
        Ok(end) if end < start => Span::Whole,
        Ok(_) if start >= length => Span::Unsatisfiable,
        Ok(end) => Span::Part(start..=end.min(length - 1)),
        Err(_) => Span::Whole,
    }
}

/// The `*.dist-info/METADATA` of a wheel, if it has one.
fn wheel_metadata(wheel: &[u8]) -> Option<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(io::Cursor::new(wheel)).ok()?;
    let index = archive.file_names_raw().position(|name| {
        name.strip_suffix(b"/METADATA").is_some_and(|dir| dir.ends_with(b".dist-info") && !dir.contains(&b'/'))
    })?;
    let mut metadata = Vec::new();
    archive.by_index(index).ok()?.read_to_end(&mut metadata).ok()?;
    Some(metadata)
}

/// The `Requires-Python` header of METADATA (headers end at the first blank line).
fn metadata_requires_python(metadata: &[u8]) -> Option<String> {
    String::from_utf8_lossy(metadata).lines().take_while(|line| !line.is_empty()).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("Requires-Python").then(|| value.trim().to_owned())
    })
}

/// The project name and version of a wheel (`name-version-...whl`) or an sdist (`name-version.tar.gz`).
fn name_and_version(filename: &str) -> (String, String) {
    if filename.ends_with(".whl") {
        let mut parts = filename.split('-');
        let name = parts.next().unwrap_or_default();
        return (name.to_owned(), parts.next().unwrap_or_default().to_owned());
    }
    let stem = filename.trim_end_matches(".tar.gz").trim_end_matches(".zip");
    let (name, version) = stem.rsplit_once('-').unwrap_or((stem, ""));
    (name.to_owned(), version.to_owned())
}

/// The PEP 503 normalized form of a project name.
fn normalize(name: &str) -> String {
    let mut normalized = String::new();
    for character in name.chars() {
        if matches!(character, '-' | '_' | '.') {
            if !normalized.ends_with('-') {
                normalized.push('-');
            }
        } else {
            normalized.push(character.to_ascii_lowercase());
        }
    }
    normalized
}

fn html_page(title: &str, links: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html>\n<head><meta name=\"pypi:repository-version\" content=\"1.1\"><title>{title}</title></head>\n\
         <body>\n<h1>{title}</h1>\n{links}</body>\n</html>\n"
    )
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

mod tests {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    use super::{IndexServer, JSON_TYPE, ServedFile, basic_authorization, sha256_hex};
    use crate::support::WheelBuilder;

    /// A response as a raw client sees it.
    struct Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Reply {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers.iter().find(|(other, _)| other.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
        }

        fn text(&self) -> String {
            String::from_utf8(self.body.clone()).expect("a UTF-8 body")
        }
    }

    /// One kept-alive HTTP/1.1 connection, so every test also covers connection reuse.
    struct Client {
        reader: BufReader<TcpStream>,
    }

    impl Client {
        fn connect(server: &IndexServer) -> Self {
            let address = server.url().strip_prefix("http://").expect("an http URL").to_owned();
            Self { reader: BufReader::new(TcpStream::connect(address).expect("connect to the index")) }
        }

        fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
            let mut head = format!("{method} {path} HTTP/1.1\r\nHost: index\r\n");
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            self.reader.get_mut().write_all(head.as_bytes()).expect("send a request");
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("read the status line");
            let status = line.split(' ').nth(1).and_then(|code| code.parse().ok()).expect("a status code");
            let mut headers = Vec::new();
            loop {
                line.clear();
                self.reader.read_line(&mut line).expect("read a header");
                let Some((name, value)) = line.trim_end().split_once(": ") else { break };
                headers.push((name.to_owned(), value.to_owned()));
            }
            let mut reply = Reply { status, headers, body: Vec::new() };
            if method != "HEAD" && status != 304 {
                let length = reply.header("Content-Length").expect("a Content-Length").parse().expect("a length");
                reply.body = vec![0; length];
                self.reader.read_exact(&mut reply.body).expect("read the body");
            }
            reply
        }

        fn get(&mut self, path: &str, headers: &[(&str, &str)]) -> Reply {
            self.send("GET", path, headers)
        }
    }

    fn wheel() -> WheelBuilder {
        WheelBuilder::new("My.Project", "1.0").requires_python(">=3.8").file("my_project.py", "x = 1\n".repeat(50))
    }

    #[test]
    fn project_pages_in_html_and_json() {
        let wheel = wheel();
        let filename = wheel.filename();
        let old = WheelBuilder::new("my_project", "0.9");
        let server =
            IndexServer::start(vec![ServedFile::from_wheel(&wheel), ServedFile::from_wheel(&old).yanked("broken")]);
        let mut client = Client::connect(&server);

        let redirect = client.get("/simple/My_Project", &[]);
        assert_eq!((redirect.status, redirect.header("Location")), (301, Some("/simple/my-project/")));
        let root = client.get(server.simple_url().strip_prefix(&server.url()).unwrap(), &[]);
        assert!(root.text().contains("<a href=\"my-project/\">"), "{}", root.text());

        let html = client.get("/simple/my-project/", &[]);
        assert_eq!(html.header("Content-Type"), Some("text/html; charset=utf-8"));
        let downloaded = client.get(&format!("/files/{filename}"), &[]).body;
        let metadata = client.get(&format!("/files/{filename}.metadata"), &[]).text();
        assert!(metadata.contains("Requires-Python: >=3.8\n"), "{metadata}");
        let (digest, metadata_digest) = (sha256_hex(&downloaded), sha256_hex(metadata.as_bytes()));
        let expected = format!(
            "<a href=\"../../files/{filename}#sha256={digest}\" data-requires-python=\"&gt;=3.8\" \
             data-dist-info-metadata=\"sha256={metadata_digest}\" data-core-metadata=\"sha256={metadata_digest}\">"
        );
        assert!(html.text().contains(&expected), "{}", html.text());
        assert!(html.text().contains(" data-yanked=\"broken\""), "{}", html.text());

        let json = client.get("/simple/my-project/", &[("Accept", &format!("{JSON_TYPE}, text/html;q=0.1"))]);
        assert_eq!(json.header("Content-Type"), Some(JSON_TYPE));
        let page: serde_json::Value = serde_json::from_slice(&json.body).unwrap();
        assert_eq!(page["name"], "my-project");
        assert_eq!(page["versions"], serde_json::json!(["0.9", "1.0"]));
        let files = page["files"].as_array().unwrap();
        let file = files.iter().find(|file| file["filename"] == filename.as_str()).unwrap();
        assert_eq!(file["url"], format!("../../files/{filename}"));
        assert_eq!(file["hashes"]["sha256"], digest);
        assert_eq!(file["core-metadata"]["sha256"], metadata_digest);
        assert_eq!(
            (&file["requires-python"], &file["yanked"], &file["size"]),
            (&">=3.8".into(), &false.into(), &downloaded.len().into())
        );
        assert!(files.iter().any(|file| file["yanked"] == "broken"));

        let links = client.get(server.find_links_url().strip_prefix(&server.url()).unwrap(), &[]);
        assert!(links.text().contains(&format!("<a href=\"../files/{filename}\">")), "{}", links.text());
        let logged = server.requests();
        assert_eq!(logged.iter().map(|request| request.method.as_str()).collect::<Vec<_>>(), ["GET"; 7]);
        assert_eq!(logged[5].accept.as_deref(), Some(&*format!("{JSON_TYPE}, text/html;q=0.1")));
    }

    #[test]
    fn an_html_only_mirror_next_to_a_full_index() {
        let wheel = wheel();
        let filename = wheel.filename();
        let full = IndexServer::start(vec![ServedFile::from_wheel(&wheel)]);
        let lying = ServedFile::new(&filename, wheel.bytes()).requires_python("<4").lie_about_hash();
        let mirror = IndexServer::builder(vec![lying]).json(false).metadata(false).start();
        assert_ne!(full.url(), mirror.url());

        let mut client = Client::connect(&mirror);
        let page = client.get("/simple/my-project/", &[("Accept", JSON_TYPE)]);
        assert_eq!(page.header("Content-Type"), Some("text/html; charset=utf-8"));
        assert!(page.text().contains(" data-requires-python=\"&lt;4\">"), "{}", page.text());
        assert!(!page.text().contains("metadata"), "{}", page.text());
        assert!(!page.text().contains(&sha256_hex(&wheel.bytes())), "the mirror must lie about the hash");
        assert_eq!(client.get(&format!("/files/{filename}.metadata"), &[]).status, 404);
        assert_eq!(Client::connect(&full).get(&format!("/files/{filename}.metadata"), &[]).status, 200);
    }

    #[test]
    fn byte_ranges_and_head() {
        let bytes = wheel().bytes();
        let length = bytes.len();
        let server = IndexServer::start(vec![ServedFile::from_wheel(&wheel())]);
        let path = format!("/files/{}", wheel().filename());
        let mut client = Client::connect(&server);

        let head = client.send("HEAD", &path, &[]);
        assert_eq!((head.status, head.header("Accept-Ranges")), (200, Some("bytes")));
        assert_eq!(head.header("Content-Length"), Some(&*length.to_string()));
        let suffix = client.get(&path, &[("Range", "bytes=-22")]);
        assert_eq!((suffix.status, suffix.body.as_slice()), (206, &bytes[length - 22..]));
        assert_eq!(suffix.header("Content-Range"), Some(&*format!("bytes {}-{}/{length}", length - 22, length - 1)));
        assert_eq!(client.get(&path, &[("Range", "bytes=2-5")]).body, &bytes[2..=5]);
        assert_eq!(client.get(&path, &[("Range", "bytes=5-")]).body, &bytes[5..]);
        assert_eq!(client.get(&path, &[("Range", &format!("bytes={length}-"))]).status, 416);
        assert_eq!(server.count(|request| request.range.is_some()), 4);
        assert_eq!(server.count(|request| request.path.starts_with("/files/")), 5);

        let plain = IndexServer::builder(vec![ServedFile::from_wheel(&wheel())]).ranges(false).start();
        let whole = Client::connect(&plain).get(&path, &[("Range", "bytes=-22")]);
        assert_eq!((whole.status, whole.header("Accept-Ranges"), &whole.body), (200, None, &bytes));
    }

    #[test]
    fn etags_revalidate_project_pages() {
        let server = IndexServer::start(vec![ServedFile::from_wheel(&wheel())]);
        let mut client = Client::connect(&server);
        let page = client.get("/simple/my-project/", &[]);
        assert_eq!(page.header("Cache-Control"), Some("max-age=0, must-revalidate"));
        let etag = page.header("ETag").unwrap().to_owned();
        let cached = client.get("/simple/my-project/", &[("If-None-Match", &etag)]);
        assert_eq!((cached.status, cached.body.len(), cached.header("ETag")), (304, 0, Some(etag.as_str())));
        let json = client.get("/simple/my-project/", &[("If-None-Match", &etag), ("Accept", JSON_TYPE)]);
        assert_eq!(json.status, 200, "the JSON form has its own ETag");
        assert_eq!(server.count(|request| request.if_none_match.as_deref() == Some(etag.as_str())), 2);
    }

    #[test]
    fn failures_delays_and_basic_auth() {
        let server = IndexServer::builder(vec![ServedFile::from_wheel(&wheel())]).basic_auth("user", "secret").start();
        let path = format!("/files/{}", wheel().filename());
        let mut client = Client::connect(&server);
        let refused = client.get(&path, &[]);
        assert_eq!((refused.status, refused.header("WWW-Authenticate")), (401, Some("Basic realm=\"index\"")));
        assert_eq!(client.get(&path, &[("Authorization", &basic_authorization("user", "wrong"))]).status, 401);
        let authorization = basic_authorization("user", "secret");
        assert_eq!(authorization, "Basic dXNlcjpzZWNyZXQ=");
        let authorized = [("Authorization", authorization.as_str())];

        server.fail_next("/files/", 2);
        let statuses: Vec<u16> = (0..3).map(|_| client.get(&path, &authorized).status).collect();
        assert_eq!(statuses, [500, 500, 200]);
        server.delay("/simple/", Duration::from_millis(300));
        let started = Instant::now();
        assert_eq!(client.get("/simple/my-project/", &authorized).status, 200);
        assert!(started.elapsed() >= Duration::from_millis(300));
        server.delay("/simple/", Duration::ZERO);
        assert_eq!(server.count(|request| request.authorization.as_deref() == Some(authorization.as_str())), 4);

        server.clear_log();
        server.delay("/files/", Duration::from_mins(10));
        client.reader.get_mut().write_all(format!("GET {path} HTTP/1.1\r\n\r\n").as_bytes()).unwrap();
        while server.requests().is_empty() {
            std::thread::sleep(Duration::from_millis(10));
        }
        // Dropping the server must neither wait out the delay nor hang on the open connection.
        let started = Instant::now();
        drop(server);
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}
