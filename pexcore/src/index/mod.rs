//! Package indexes: the simple repository API (PEP 503 HTML, PEP 691 JSON, PEP 658 metadata)
//! and find-links locations. The only module that talks to the network.
//!
//! Everything fetched goes through the build cache:
//!
//! ```text
//! simple/v1/<sha256(url)>          a page: one line of JSON (validators, freshness), then the body
//! metadata/v1/<sha256>             METADATA of a wheel, by the wheel's digest (or its URL's)
//! wheels/v1/<sha256>/<file.whl>    downloaded wheels, by digest, entered only once it matched
//! sdists/v1/<sha256>/<file.tar.gz>  downloaded source distributions, the same way
//! ```
//!
//! With several indexes, a project comes from the first index that has it, never from a mix:
//! that is how dependency confusion happens. Find-links locations add their wheels to it.

mod config;
mod git;
mod http;
mod range;
mod simple;

use std::io::Write as _;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use camino::{Utf8Path, Utf8PathBuf};
use url::Url;

use crate::cache::{Bucket, Cache, OnceMap};
use crate::dist::{CoreMetadata, SdistFilename, WheelFilename};
use crate::hash::{Hasher, Sha256Digest};
use crate::progress::Reporter;
use crate::requirement::PackageName;

pub use config::IndexOrigin;
pub(crate) use config::{PipConfig, parse_index_url};
pub(crate) use git::GitReference;
pub use http::NetworkOptions;
pub(crate) use http::{parse_netrc, percent_decoded, redact};
pub(crate) use simple::{IndexFile, SdistFile, parse_html, parse_json};

/// How long a page without `Cache-Control` stays fresh: the `max-age` that the main public
/// index sends, so a mirror that sends nothing behaves alike.
const DEFAULT_FRESHNESS: Duration = Duration::from_mins(10);

/// Why an index could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("failed to fetch `{url}` after {tries} tries: {reason}")]
    Network { url: String, reason: String, tries: u32 },
    #[error("`{url}` answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("`{url}` needs credentials (HTTP {status})")]
    Unauthorized { url: String, status: u16 },
    #[error("the TLS connection to `{url}` failed: {reason}")]
    Tls { url: String, reason: String },
    #[error("`{url}` sent more than {limit} bytes, more than an index page or METADATA can be")]
    TooLarge { url: String, limit: u64 },
    #[error("`{url}` is not a usable index answer: {reason}")]
    Parse { url: String, reason: String },
    #[error("`{url}` is not a valid index URL: {reason}")]
    BadUrl { url: String, reason: String },
    #[error(
        "the downloaded `{file}` has sha256 {actual}, but {source_of_truth} says {expected}; nothing was cached or built. Either the file was changed after {source_of_truth} vouched for it, or the download was tampered with"
    )]
    HashMismatch { file: String, expected: String, actual: String, source_of_truth: &'static str },
    #[error(
        "the index's METADATA for `{file}` (its PEP 658 file, or a read of part of the wheel) disagrees with the \
         wheel's own METADATA on its dependencies or Requires-Python; nothing was built. The index is broken or \
         tampered with"
    )]
    MetadataDisagrees { file: String },
    #[error(
        "`{file}` is {actual} bytes, but the lock file says {expected}; the file or the lock is wrong, so neither was used"
    )]
    SizeMismatch { file: String, expected: u64, actual: u64 },
    #[error(
        "the download of `{file}` went on past the {size} bytes {source_of_truth} gives as its size; nothing was \
         cached or built. The server sent something else (an endless body, or one that inflates), or \
         {source_of_truth} is wrong"
    )]
    LargerThanSaid { file: String, size: u64, source_of_truth: &'static str },
    #[error("`{file}` is not in the cache, and offline mode forbids fetching it")]
    Offline { file: String },
    #[error("failed to read the certificate bundle `{path}`")]
    Cert {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the certificate bundle `{path}` holds no PEM certificate")]
    CertEmpty { path: Utf8PathBuf },
    #[error("failed to read the find-links directory `{path}`")]
    FindLinks {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the metadata of `{file}` is invalid")]
    Metadata {
        file: String,
        #[source]
        source: Box<crate::wheel::Error>,
    },
    #[error("failed to read `{path}`")]
    ReadFile {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to write `{path}` into the cache")]
    CacheWrite {
        path: Utf8PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`git` failed on `{repository}`: {reason}")]
    Git { repository: String, reason: String },
    #[error("`{repository}` is a git repository, and `git` is not installed")]
    GitMissing { repository: String },
    #[error("cancelled")]
    Cancelled,
    #[error(transparent)]
    Cache(#[from] crate::cache::Error),
    #[error(transparent)]
    Shared(Arc<Error>),
}

impl Error {
    /// `true` when the error is a METADATA file that cannot be read (so that version is
    /// unusable), as opposed to a failure to fetch it.
    pub(crate) fn is_invalid_metadata(&self) -> bool {
        match self {
            Self::Metadata { .. } => true,
            Self::Shared(inner) => inner.is_invalid_metadata(),
            _ => false,
        }
    }
}

/// A find-links location: a directory of wheels, or a page that links to them.
#[derive(Clone, Debug)]
pub(crate) enum FindLinks {
    Directory(Utf8PathBuf),
    Page(Url),
}

impl FindLinks {
    /// A directory path (relative to the working directory) or an `http(s)://` / `file://` URL.
    pub(crate) fn parse(text: &str) -> Result<Self, Error> {
        if text.contains("://") {
            let url = Url::parse(text)
                .map_err(|error| Error::BadUrl { url: http::redact_text(text), reason: error.to_string() })?;
            if url.scheme() == "file" {
                let path = url.to_file_path().ok().and_then(|path| Utf8PathBuf::from_path_buf(path).ok());
                return path.map(Self::Directory).ok_or_else(|| Error::BadUrl {
                    url: http::redact_text(text),
                    reason: "not a local path".to_owned(),
                });
            }
            return Ok(Self::Page(url));
        }
        Ok(Self::Directory(crate::fs::absolute(Utf8Path::new(text))))
    }
}

/// The files a project has on the first index that has it, plus those in find-links.
#[derive(Debug, Default)]
pub(crate) struct Project {
    pub(crate) wheels: Vec<IndexFile>,
    pub(crate) sdists: Vec<SdistFile>,
    /// Files that are neither (eggs, installers, unsupported archives), counted for messages.
    pub(crate) other_files: usize,
}

/// A file an index serves that the cache keeps: a wheel or a source distribution, each in
/// its own bucket.
pub(crate) trait Artifact: Clone {
    /// The file name, as the cache entry is named.
    fn as_str(&self) -> &str;
    /// The bucket downloads of this kind go to.
    fn bucket() -> Bucket;
}

impl Artifact for WheelFilename {
    fn as_str(&self) -> &str {
        WheelFilename::as_str(self)
    }

    fn bucket() -> Bucket {
        Bucket::Wheels
    }
}

/// A source archive whose name tells neither its project nor its version (`main.zip` of a code
/// host): kept with the sdists until its metadata names it.
impl Artifact for String {
    fn as_str(&self) -> &str {
        self
    }

    fn bucket() -> Bucket {
        Bucket::Sdists
    }
}

impl Artifact for SdistFilename {
    fn as_str(&self) -> &str {
        SdistFilename::as_str(self)
    }

    fn bucket() -> Bucket {
        Bucket::Sdists
    }
}

/// A downloaded (or local) wheel or source distribution.
#[derive(Clone, Debug)]
pub(crate) struct Downloaded {
    pub(crate) path: Utf8PathBuf,
    /// `true` when the file is a cache entry (which [`Index::discard`] may remove).
    pub(crate) cached: bool,
    /// The digest of the bytes, when this process just hashed them on their way in (so they
    /// need no second pass); `None` for a file that was already there.
    pub(crate) sha256: Option<Sha256Digest>,
}

/// The indexes and find-links of one build, with the cache and the HTTP client.
pub(crate) struct Index {
    indexes: Vec<Url>,
    find_links: Vec<FindLinks>,
    client: http::Client,
    cache: Cache,
    offline: bool,
    refresh: bool,
    projects: OnceMap<PackageName, Result<Arc<Project>, Arc<Error>>>,
    metadata: OnceMap<Url, Result<Arc<CoreMetadata>, Arc<Error>>>,
    linked: OnceLock<Result<simple::ProjectFiles, Arc<Error>>>,
    reporter: Arc<dyn Reporter>,
    /// Whether a lock file, rather than an index, vouches for the digests (and sizes) files carry.
    from_lock: bool,
}

impl Index {
    pub(crate) fn new(
        indexes: Vec<Url>,
        find_links: Vec<FindLinks>,
        network: &NetworkOptions,
        cache: Cache,
        offline: bool,
        refresh: bool,
        reporter: Arc<dyn Reporter>,
    ) -> Result<Self, Error> {
        // Credentials in an index or find-links URL are lent to the files on the same host.
        let mut credential_sources = indexes.clone();
        credential_sources.extend(find_links.iter().filter_map(|links| match links {
            FindLinks::Page(url) => Some(url.clone()),
            FindLinks::Directory(_) => None,
        }));
        let client = http::Client::new(network, &credential_sources)?;
        Ok(Self {
            indexes,
            find_links,
            client,
            cache,
            offline,
            refresh,
            projects: OnceMap::default(),
            metadata: OnceMap::default(),
            linked: OnceLock::new(),
            reporter,
            from_lock: false,
        })
    }

    /// Names the lock file, rather than an index, as what vouches for the digests of files.
    #[must_use]
    pub(crate) fn vouched_by_lock(mut self) -> Self {
        self.from_lock = true;
        self
    }

    /// What vouches for the digests of files: "the index" or "the lock file".
    pub(crate) fn vouched_by(&self) -> &'static str {
        if self.from_lock { "the lock file" } else { "the index" }
    }

    /// Checks the size of `file`'s bytes at `path` against the size a lock file gives (an
    /// index's sizes only inform: the digest is what vouches for the bytes).
    pub(crate) fn check_size<Name: Artifact>(&self, file: &IndexFile<Name>, path: &Utf8Path) -> Result<(), Error> {
        let Some(expected) = file.size.filter(|_| self.from_lock) else { return Ok(()) };
        let actual = fs_err::metadata(path).map_err(|source| Error::ReadFile { path: path.to_owned(), source })?.len();
        if actual == expected {
            return Ok(());
        }
        Err(Error::SizeMismatch { file: file.filename.as_str().to_owned(), expected, actual })
    }

    /// The URL of the file named `filename` in the find-links locations, if one lists it (so a
    /// build from a lock takes it from there rather than from the URL the lock names).
    pub(crate) fn linked_url(&self, filename: &str) -> Result<Option<Url>, Error> {
        if self.find_links.is_empty() {
            return Ok(None);
        }
        let linked = self
            .linked
            .get_or_init(|| self.fetch_find_links().map_err(Arc::new))
            .as_ref()
            .map_err(|error| Error::Shared(Arc::clone(error)))?;
        Ok(linked
            .wheels
            .iter()
            .find(|file| file.filename.as_str() == filename)
            .map(|file| file.url.clone())
            .or_else(|| linked.sdists.iter().find(|file| file.filename == filename).map(|file| file.url.clone())))
    }

    /// Where progress goes.
    pub(crate) fn reporter(&self) -> &dyn Reporter {
        self.reporter.as_ref()
    }

    /// The index URLs asked, credentials hidden, for messages.
    pub(crate) fn describe(&self) -> String {
        let mut places: Vec<String> = self.indexes.iter().map(http::redact).collect();
        places.extend(self.find_links.iter().map(|links| match links {
            FindLinks::Directory(path) => path.to_string(),
            FindLinks::Page(url) => http::redact(url),
        }));
        if places.is_empty() { "no index (`--no-index`) and no `--find-links`".to_owned() } else { places.join(", ") }
    }

    /// The wheels and source distributions of `name`; safe to call from many threads (each
    /// project is fetched once).
    pub(crate) fn project(&self, name: &PackageName) -> Result<Arc<Project>, Error> {
        self.projects
            .get_or_init(name, || self.fetch_project(name).map(Arc::new).map_err(Arc::new))
            .map_err(Error::Shared)
    }

    fn fetch_project(&self, name: &PackageName) -> Result<Project, Error> {
        let mut project = Project::default();
        for index in &self.indexes {
            let url = index
                .join(&format!("{name}/"))
                .map_err(|error| Error::BadUrl { url: http::redact(index), reason: error.to_string() })?;
            if let Some(files) = self.fetch_page(&url, true)? {
                // A page may list only its own project's files (pip drops the others too): a
                // hostile page must not hand out another project's wheels.
                let listed = files.wheels.len() + files.sdists.len();
                let other_files = files.other_files;
                let page = project_files(files, name);
                let foreign = listed - page.wheels.len() - page.sdists.len();
                if foreign > 0 {
                    tracing::warn!("{} lists {foreign} files of other projects; ignoring them", http::redact(&url));
                }
                tracing::debug!(
                    "`{name}`: {} wheels and {} sdists from {}",
                    page.wheels.len(),
                    page.sdists.len(),
                    http::redact(index)
                );
                project = page;
                project.other_files = other_files;
                break;
            }
        }
        let linked = self
            .linked
            .get_or_init(|| self.fetch_find_links().map_err(Arc::new))
            .as_ref()
            .map_err(|error| Error::Shared(Arc::clone(error)))?;
        project.wheels.extend(linked.wheels.iter().filter(|file| file.filename.package_name() == name).cloned());
        project.sdists.extend(
            linked
                .sdists
                .iter()
                .filter_map(|file| Some(file.renamed(SdistFilename::parse(&file.filename, name).ok()?))),
        );
        Ok(project)
    }

    fn fetch_find_links(&self) -> Result<simple::ProjectFiles, Error> {
        let mut files = simple::ProjectFiles::default();
        for links in &self.find_links {
            let listed = match links {
                FindLinks::Directory(path) => {
                    simple::list_directory(path).map_err(|source| Error::FindLinks { path: path.clone(), source })?
                }
                FindLinks::Page(url) => {
                    self.fetch_page(url, false)?.ok_or_else(|| Error::Status { url: http::redact(url), status: 404 })?
                }
            };
            files.wheels.extend(listed.wheels);
            files.sdists.extend(listed.sdists);
        }
        Ok(files)
    }

    /// Fetches a page through the cache: a fresh entry is used as is, a stale one revalidated,
    /// and `--offline` takes whatever is cached. `Ok(None)` is a 404 (the project is not there).
    fn fetch_page(&self, url: &Url, negotiate_json: bool) -> Result<Option<simple::ProjectFiles>, Error> {
        let entry_path = self.cache.bucket(Bucket::Simple)?.join(url_key(url).to_string());
        let stored = StoredPage::read(&entry_path);
        let now = unix_now();
        let answer = match stored {
            Some(stored) if self.offline || (!self.refresh && stored.is_fresh(now)) => stored,
            _ if self.offline => return Err(Error::Offline { file: http::redact(url) }),
            stored => {
                let mut headers = vec![(
                    "Accept",
                    if negotiate_json { "application/vnd.pypi.simple.v1+json, text/html;q=0.1" } else { "text/html" },
                )];
                if let Some(etag) = stored.as_ref().and_then(|stored| stored.meta.etag.as_deref()) {
                    headers.push(("If-None-Match", etag));
                }
                if let Some(modified) = stored.as_ref().and_then(|stored| stored.meta.last_modified.as_deref()) {
                    headers.push(("If-Modified-Since", modified));
                }
                let response = self.client.get(url, &headers)?;
                let answer = match (response.status, stored) {
                    (304, Some(mut stored)) => {
                        stored.meta.fetched = now;
                        stored.meta.max_age = max_age(&response).unwrap_or(stored.meta.max_age);
                        stored
                    }
                    (200 | 404 | 410, _) => StoredPage {
                        meta: PageMeta {
                            url: response.url.to_string(),
                            status: response.status,
                            etag: response.header("ETag").map(str::to_owned),
                            last_modified: response.header("Last-Modified").map(str::to_owned),
                            content_type: response.header("Content-Type").unwrap_or_default().to_owned(),
                            fetched: now,
                            // A miss is asked again next time unless the server says how long
                            // it holds: a project published a minute later must be found.
                            max_age: max_age(&response).unwrap_or(if response.status == 200 {
                                DEFAULT_FRESHNESS.as_secs()
                            } else {
                                0
                            }),
                        },
                        body: response.body,
                    },
                    (401 | 403, _) => {
                        return Err(Error::Unauthorized { url: http::redact(url), status: response.status });
                    }
                    (status, _) => return Err(Error::Status { url: http::redact(url), status }),
                };
                // Best effort: a cache that cannot be written only costs a later fetch.
                if let Err(error) = answer.write(&entry_path) {
                    tracing::debug!("could not cache `{}`: {error}", http::redact(url));
                }
                answer
            }
        };
        if answer.meta.status != 200 {
            return Ok(None);
        }
        let base = Url::parse(&answer.meta.url).unwrap_or_else(|_| url.clone());
        let parsed = if answer.meta.content_type.starts_with(simple::JSON_MEDIA_TYPE) {
            simple::parse_json(&answer.body, &base)
        } else {
            simple::parse_html(&answer.body, &base)
        };
        let mut files = parsed.map_err(|reason| Error::Parse { url: http::redact(url), reason })?;
        // A page from the network must not point at files on this machine.
        files.wheels.retain(|file| file.url.scheme() != "file");
        files.sdists.retain(|file| file.url.scheme() != "file");
        Ok(Some(files))
    }

    /// The METADATA of `file`: from the cache, the wheel cache, a PEP 658 file, a ranged read
    /// of the wheel, or the whole wheel, in that order.
    pub(crate) fn metadata(&self, file: &IndexFile) -> Result<Arc<CoreMetadata>, Error> {
        self.metadata
            .get_or_init(&file.url, || self.fetch_metadata(file).map(Arc::new).map_err(Arc::new))
            .map_err(Error::Shared)
    }

    /// Checks the METADATA of the downloaded `wheel` against what this index gave the resolver
    /// for it (a PEP 658 file, or a ranged read), when it gave anything: dependencies and
    /// `Requires-Python` chosen from one and installed from the other would be a wrong
    /// install. The wheel's own METADATA is the truth; a disagreement is the index's fault.
    pub(crate) fn check_resolved_metadata(&self, file: &IndexFile, wheel: &CoreMetadata) -> Result<(), Error> {
        let Some(Ok(resolved)) = self.metadata.get(&file.url) else { return Ok(()) };
        let dependencies = |metadata: &CoreMetadata| {
            let mut texts: Vec<String> = metadata.requires_dist().iter().map(ToString::to_string).collect();
            texts.sort();
            texts
        };
        if dependencies(&resolved) == dependencies(wheel) && resolved.requires_python() == wheel.requires_python() {
            return Ok(());
        }
        Err(Error::MetadataDisagrees { file: file.filename.to_string() })
    }

    fn fetch_metadata(&self, file: &IndexFile) -> Result<CoreMetadata, Error> {
        // Keyed by where the METADATA came from and the digest the index claimed for the wheel,
        // never by the claimed digest alone: a hostile index could otherwise plant METADATA
        // for a wheel that a trusted index serves.
        let key = Sha256Digest::of(
            format!("{}\0{}", url_key(&file.url), file.sha256.map(|digest| digest.to_string()).unwrap_or_default())
                .as_bytes(),
        );
        let entry_path = self.cache.bucket(Bucket::Metadata)?.join(key.to_string());
        if let Ok(bytes) = fs_err::read(&entry_path)
            && let Ok(metadata) = CoreMetadata::parse(&bytes)
            && crate::wheel::check_metadata(&metadata, &file.filename).is_ok()
        {
            crate::cache::touch(&entry_path);
            return Ok(metadata);
        }
        if let Some(path) = self.local_or_cached(file) {
            return read_local_metadata(&path, file);
        }
        if self.offline {
            return Err(Error::Offline { file: format!("the metadata of {}", file.filename) });
        }
        let bytes = if let Some(bytes) = self.fetch_metadata_file(file)? {
            bytes
        } else {
            let tail = match range::open(&self.client, &file.url) {
                Ok(tail) => tail,
                // A server that ignores the range and sends a huge wheel: download it properly.
                Err(Error::TooLarge { .. }) => return read_local_metadata(&self.download(file, &[])?.path, file),
                Err(error) => return Err(error),
            };
            match tail {
                range::Tail::Ranges(reader) => match crate::wheel::read_metadata(reader, &file.filename) {
                    Ok((_, bytes)) => bytes,
                    Err(error) => {
                        tracing::debug!("a ranged read of {} failed ({error}); downloading it", file.filename);
                        return read_local_metadata(&self.download(file, &[])?.path, file);
                    }
                },
                range::Tail::Whole(bytes) => return read_local_metadata(&self.store_wheel(file, &bytes, &[])?, file),
            }
        };
        let invalid = |source| Error::Metadata { file: file.filename.to_string(), source: Box::new(source) };
        let metadata = CoreMetadata::parse(&bytes)
            .map_err(|source| invalid(crate::wheel::Error::Metadata { wheel: file.filename.to_string(), source }))?;
        crate::wheel::check_metadata(&metadata, &file.filename).map_err(invalid)?;
        if let Err(error) = crate::fs::write_atomic(&entry_path, &bytes) {
            tracing::debug!("could not cache the metadata of {}: {error}", file.filename);
        }
        Ok(metadata)
    }

    /// The PEP 658 metadata file, when the index offers one; checked against its digest.
    fn fetch_metadata_file(&self, file: &IndexFile) -> Result<Option<Vec<u8>>, Error> {
        let Some(expected) = &file.metadata else { return Ok(None) };
        let mut url = file.url.clone();
        url.set_path(&format!("{}.metadata", url.path()));
        let response = self.client.get(&url, &[])?;
        if response.status != 200 {
            tracing::debug!("{} answered {}; reading the wheel instead", http::redact(&url), response.status);
            return Ok(None);
        }
        if let Some(expected) = &expected.sha256
            && Sha256Digest::of(&response.body) != *expected
        {
            return Err(Error::HashMismatch {
                file: format!("{}.metadata", file.filename),
                expected: expected.to_string(),
                actual: Sha256Digest::of(&response.body).to_string(),
                source_of_truth: "the index",
            });
        }
        Ok(Some(response.body))
    }

    /// A local file (find-links directory, `file://`), or the cache entry of a file whose
    /// digest the index gave.
    fn local_or_cached<Name: Artifact>(&self, file: &IndexFile<Name>) -> Option<Utf8PathBuf> {
        if file.url.scheme() == "file" {
            // Only find-links directories and direct references make `file:` candidates: pages
            // from the network cannot point at local files (see `fetch_page`).
            return file.url.to_file_path().ok().and_then(|path| Utf8PathBuf::from_path_buf(path).ok());
        }
        let digest = match file.sha256 {
            Some(digest) => digest,
            None => self.digest_of_url(&file.url)?,
        };
        let path = self.cache.bucket(Name::bucket()).ok()?.join(digest.to_string()).join(file.filename.as_str());
        path.is_file().then_some(path)
    }

    /// The digest a download from `url` had, for indexes that publish none (so a warm or
    /// `--offline` build finds the wheel in the cache without downloading it again).
    fn digest_of_url(&self, url: &Url) -> Option<Sha256Digest> {
        let entry = self.cache.bucket(Bucket::WheelUrls).ok()?.join(url_key(url).to_string());
        Sha256Digest::from_hex(fs_err::read_to_string(entry).ok()?.trim())
    }

    fn remember_digest_of_url(&self, url: &Url, digest: Sha256Digest) {
        if let Ok(bucket) = self.cache.bucket(Bucket::WheelUrls)
            && let Err(error) =
                crate::fs::write_atomic(&bucket.join(url_key(url).to_string()), digest.to_string().as_bytes())
        {
            tracing::debug!("could not remember the digest of {}: {error}", http::redact(url));
        }
    }

    /// The wheel or sdist `file`, downloaded into the cache unless it is there. `pins` are the
    /// digests a `--hash` allowed (empty: any); the download must match them and the index.
    pub(crate) fn download<Name: Artifact>(
        &self,
        file: &IndexFile<Name>,
        pins: &[Sha256Digest],
    ) -> Result<Downloaded, Error> {
        self.fetch_file(file, pins, false)
    }

    /// [`Index::download`] that downloads `file` again even when the cache has a file from its
    /// URL (unless `--offline`): for a URL whose content may move (`.../archive/main.zip`) and
    /// that no digest pins.
    pub(crate) fn download_again<Name: Artifact>(
        &self,
        file: &IndexFile<Name>,
        pins: &[Sha256Digest],
    ) -> Result<Downloaded, Error> {
        self.fetch_file(file, pins, !self.offline && file.url.scheme() != "file")
    }

    fn fetch_file<Name: Artifact>(
        &self,
        file: &IndexFile<Name>,
        pins: &[Sha256Digest],
        again: bool,
    ) -> Result<Downloaded, Error> {
        if let Some(path) = self.local_or_cached(file).filter(|_| !again) {
            let cached = file.url.scheme() != "file";
            if cached {
                crate::cache::touch(&path);
            }
            return Ok(Downloaded { path, cached, sha256: None });
        }
        if self.offline {
            return Err(Error::Offline { file: file.filename.as_str().to_owned() });
        }
        let bucket = self.cache.bucket(Name::bucket())?;
        let filename = file.filename.as_str();
        let mut started = false;
        let result = self.client.get_streaming(&file.url, |reader, length| {
            // Once per file, not once per try, so the progress total stays true.
            if !std::mem::replace(&mut started, true) {
                self.reporter.download_started(filename, length);
            }
            let mut temp = tempfile::Builder::new().prefix(".download.").tempfile_in(&bucket)?;
            let mut hasher = Hasher::default();
            let mut buffer = vec![0u8; 256 * 1024];
            let mut total = 0;
            loop {
                let count = reader.read(&mut buffer)?;
                if count == 0 {
                    break;
                }
                // The size the index or lock gives bounds what is written: an endless body, or a
                // small one that inflates (`Content-Encoding: gzip`), stops there, untried again.
                total += count as u64;
                if let Some(size) = file.size.filter(|size| total > *size) {
                    return Ok(Err(Some(size)));
                }
                if self.reporter.is_cancelled() {
                    return Ok(Err(None));
                }
                hasher.update(&buffer[..count]);
                temp.write_all(&buffer[..count])?;
                self.reporter.download_progressed(count as u64);
            }
            Ok(Ok((temp, hasher.finish())))
        });
        self.reporter.download_finished(filename);
        // `Err(None)`: the caller cancelled; `Err(Some(size))`: the body outgrew its size.
        let (temp, digest) = result?.map_err(|size| match size {
            None => Error::Cancelled,
            Some(size) => Error::LargerThanSaid { file: filename.to_owned(), size, source_of_truth: self.vouched_by() },
        })?;
        let path = self.enter(file, pins, temp, digest)?;
        Ok(Downloaded { path, cached: true, sha256: Some(digest) })
    }

    /// Stores wheel bytes that arrived whole (a server that ignored a range request).
    fn store_wheel(&self, file: &IndexFile, bytes: &[u8], pins: &[Sha256Digest]) -> Result<Utf8PathBuf, Error> {
        let bucket = self.cache.bucket(Bucket::Wheels)?;
        let temp = tempfile::Builder::new().prefix(".download.").tempfile_in(&bucket).and_then(|mut temp| {
            temp.write_all(bytes)?;
            Ok(temp)
        });
        let temp = temp.map_err(|source| Error::CacheWrite { path: bucket.clone(), source })?;
        self.enter(file, pins, temp, Sha256Digest::of(bytes))
    }

    /// Renames a finished download (in a temporary file of the bucket) to
    /// `<bucket>/v1/<digest>/<file>` once `digest` matches the index and the pins; the only way in.
    fn enter<Name: Artifact>(
        &self,
        file: &IndexFile<Name>,
        pins: &[Sha256Digest],
        temp: tempfile::NamedTempFile,
        digest: Sha256Digest,
    ) -> Result<Utf8PathBuf, Error> {
        self.check_digest(file, pins, digest)?;
        let directory = self.cache.bucket(Name::bucket())?.join(digest.to_string());
        let path = directory.join(file.filename.as_str());
        fs_err::create_dir_all(&directory)
            .and_then(|()| temp.persist(&path).map(drop).map_err(|error| error.error))
            .map_err(|source| Error::CacheWrite { path: path.clone(), source })?;
        if file.sha256.is_none() {
            self.remember_digest_of_url(&file.url, digest);
        }
        Ok(path)
    }

    fn check_digest<Name: Artifact>(
        &self,
        file: &IndexFile<Name>,
        pins: &[Sha256Digest],
        actual: Sha256Digest,
    ) -> Result<(), Error> {
        let mismatch = |expected: String, source_of_truth| Error::HashMismatch {
            file: file.filename.as_str().to_owned(),
            expected,
            actual: actual.to_string(),
            source_of_truth,
        };
        if let Some(expected) = file.sha256
            && expected != actual
        {
            return Err(mismatch(expected.to_string(), self.vouched_by()));
        }
        if !pins.is_empty() && !pins.contains(&actual) {
            let pinned = pins.iter().map(ToString::to_string).collect::<Vec<_>>().join(" or ");
            return Err(mismatch(pinned, "the `--hash` pin"));
        }
        Ok(())
    }

    /// Removes a cache entry that turned out to be corrupt, so the next download replaces it.
    pub(crate) fn discard(downloaded: &Downloaded) {
        if downloaded.cached {
            tracing::warn!("discarding the corrupt cache entry `{}`", downloaded.path);
            let _ = fs_err::remove_file(&downloaded.path);
        }
    }
}

/// The METADATA of a wheel file on disk.
fn read_local_metadata(path: &Utf8Path, file: &IndexFile) -> Result<CoreMetadata, Error> {
    let reader = fs_err::File::open(path).map_err(|source| Error::FindLinks { path: path.to_owned(), source })?;
    crate::wheel::read_metadata(std::io::BufReader::new(reader), &file.filename)
        .map(|(metadata, _)| metadata)
        .map_err(|source| Error::Metadata { file: file.filename.to_string(), source: Box::new(source) })
}

/// The `max-age` of a response, in seconds; `no-cache` / `no-store` count as 0.
fn max_age(response: &http::Response) -> Option<u64> {
    let control = response.header("Cache-Control")?.to_ascii_lowercase();
    if control.contains("no-cache") || control.contains("no-store") {
        return Some(0);
    }
    control.split(',').find_map(|directive| directive.trim().strip_prefix("max-age=")?.trim().parse().ok()).or(Some(0))
}

/// What a cached page records besides its body.
#[derive(serde::Serialize, serde::Deserialize)]
struct PageMeta {
    url: String,
    status: u16,
    etag: Option<String>,
    last_modified: Option<String>,
    content_type: String,
    fetched: u64,
    max_age: u64,
}

struct StoredPage {
    meta: PageMeta,
    body: Vec<u8>,
}

impl StoredPage {
    fn read(path: &Utf8Path) -> Option<Self> {
        let bytes = fs_err::read(path).ok()?;
        let newline = bytes.iter().position(|byte| *byte == b'\n')?;
        let meta = serde_json::from_slice(&bytes[..newline]).ok()?;
        Some(Self { meta, body: bytes[newline + 1..].to_vec() })
    }

    fn write(&self, path: &Utf8Path) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec(&self.meta).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        bytes.extend_from_slice(&self.body);
        crate::fs::write_atomic(path, &bytes)
    }

    fn is_fresh(&self, now: u64) -> bool {
        now.saturating_sub(self.meta.fetched) < self.meta.max_age
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

/// The cache key of a URL: its sha256 without credentials or fragment, so neither a password
/// nor a rotated token lands in (or splits) the cache.
fn url_key(url: &Url) -> Sha256Digest {
    Sha256Digest::of(http::without_credentials(url).as_str().as_bytes())
}

/// The files of a page that belong to `name`: its wheels, and the archives whose names read as
/// `name`'s sdists.
fn project_files(mut files: simple::ProjectFiles, name: &PackageName) -> Project {
    files.wheels.retain(|file| file.filename.package_name() == name);
    let sdists = files
        .sdists
        .into_iter()
        .filter_map(|file| {
            let filename = SdistFilename::parse(&file.filename, name).ok()?;
            Some(file.named(filename))
        })
        .collect();
    Project { wheels: files.wheels, sdists, other_files: 0 }
}

/// Reads a wheel file name out of a URL's last path segment.
pub(crate) fn wheel_filename_of(url: &Url) -> Option<WheelFilename> {
    url.path_segments()?.next_back()?.parse().ok()
}
