//! Reading the simple repository API: a project's files from a PEP 691 JSON page, a PEP 503
//! HTML page (also a `--find-links` page), or a `--find-links` directory. Pure parsing: bytes
//! in, files out. Wheels are recognized by their name alone; a source archive's name can be read
//! only against its project (see [`SdistFilename`]), so sdists stay [`RawSdist`]s until
//! [`super::Index::project`] knows which project it asks for.

use std::str::FromStr;

use url::Url;

use crate::dist::{SdistFilename, WheelFilename};
use crate::hash::Sha256Digest;
use crate::requirement::VersionSpecifiers;

/// The media type of the PEP 691 JSON API, which indexes return when asked for it.
pub(crate) const JSON_MEDIA_TYPE: &str = "application/vnd.pypi.simple.v1+json";

/// A file offered by an index or a find-links location: a wheel (the default), a source
/// distribution, or a source archive whose name is not parsed yet.
#[derive(Clone, Debug)]
pub(crate) struct IndexFile<Name = WheelFilename> {
    pub(crate) filename: Name,
    pub(crate) url: Url,
    /// The digest the index vouches for (a `#sha256=` fragment or the JSON `hashes`).
    pub(crate) sha256: Option<Sha256Digest>,
    pub(crate) requires_python: Option<VersionSpecifiers>,
    /// `Some(reason)` when the file is yanked (PEP 592); the reason may be empty.
    pub(crate) yanked: Option<String>,
    /// `Some(digest or none)` when the index serves the METADATA at `<url>.metadata` (PEP 658).
    pub(crate) metadata: Option<OfferedMetadata>,
    /// The size in bytes, where the index gives it (PEP 700), for lock files.
    pub(crate) size: Option<u64>,
    /// When it was uploaded, where the index gives it (PEP 700, ISO 8601), for lock files.
    pub(crate) upload_time: Option<String>,
}

/// A source distribution offered by an index.
pub(crate) type SdistFile = IndexFile<SdistFilename>;

/// A source archive as a page lists it: its name is parsed against a project later.
pub(crate) type RawSdist = IndexFile<String>;

impl<Name> IndexFile<Name> {
    /// A file known only by its name, location and (maybe) digest: a direct reference, a file
    /// in a find-links directory.
    pub(crate) fn at(filename: Name, url: Url, sha256: Option<Sha256Digest>) -> Self {
        Self {
            filename,
            url,
            sha256,
            requires_python: None,
            yanked: None,
            metadata: None,
            size: None,
            upload_time: None,
        }
    }

    /// The file under another (parsed) name.
    pub(crate) fn named<Other>(self, filename: Other) -> IndexFile<Other> {
        IndexFile {
            filename,
            url: self.url,
            sha256: self.sha256,
            requires_python: self.requires_python,
            yanked: self.yanked,
            metadata: self.metadata,
            size: self.size,
            upload_time: self.upload_time,
        }
    }

    /// The same file under another (parsed) name.
    pub(crate) fn renamed<Other>(&self, filename: Other) -> IndexFile<Other> {
        IndexFile {
            filename,
            url: self.url.clone(),
            sha256: self.sha256,
            requires_python: self.requires_python.clone(),
            yanked: self.yanked.clone(),
            metadata: self.metadata,
            size: self.size,
            upload_time: self.upload_time.clone(),
        }
    }
}

/// A PEP 658 metadata file that the index offers, with the digest it gives (if any).
#[derive(Clone, Copy, Debug)]
pub(crate) struct OfferedMetadata {
    pub(crate) sha256: Option<Sha256Digest>,
}

/// What a page lists: the wheels, the source archives pex-rs can unpack, and how many other
/// files (eggs, installers, `.tar.bz2` archives) it skipped.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProjectFiles {
    pub(crate) wheels: Vec<IndexFile>,
    pub(crate) sdists: Vec<RawSdist>,
    pub(crate) other_files: usize,
}

impl ProjectFiles {
    /// Adds the file `filename`, which `make` reads the rest of, if it is a wheel or an sdist:
    /// what a page says of other files (eggs, installers) is not even parsed.
    fn push(&mut self, filename: &str, make: impl FnOnce(String) -> Option<RawSdist>) {
        if let Ok(wheel) = WheelFilename::from_str(filename) {
            match make(String::new()) {
                Some(file) => self.wheels.push(file.named(wheel)),
                None => self.other_files += 1,
            }
        } else if SdistFilename::format_of(filename).is_ok() {
            match make(filename.to_owned()) {
                Some(file) => self.sdists.push(file),
                None => self.other_files += 1,
            }
        } else {
            self.other_files += 1;
        }
    }
}

#[derive(serde::Deserialize)]
struct JsonPage {
    files: Vec<JsonFile>,
}

#[derive(serde::Deserialize)]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: std::collections::HashMap<String, String>,
    #[serde(rename = "requires-python")]
    requires_python: Option<String>,
    #[serde(default)]
    yanked: JsonFlag,
    #[serde(rename = "core-metadata")]
    core_metadata: Option<JsonFlag>,
    #[serde(rename = "dist-info-metadata")]
    dist_info_metadata: Option<JsonFlag>,
    size: Option<u64>,
    #[serde(rename = "upload-time")]
    upload_time: Option<String>,
}

/// `false`, `true`, a string (a yank reason) or a hash table (a metadata digest).
#[derive(serde::Deserialize, Default)]
#[serde(untagged)]
enum JsonFlag {
    #[default]
    Absent,
    Bool(bool),
    Text(String),
    Hashes(std::collections::HashMap<String, String>),
}

impl JsonFlag {
    fn reason(self) -> Option<String> {
        match self {
            Self::Absent | Self::Bool(false) => None,
            Self::Text(reason) => Some(reason),
            Self::Bool(true) | Self::Hashes(_) => Some(String::new()),
        }
    }

    fn metadata(self) -> Option<OfferedMetadata> {
        match self {
            Self::Absent | Self::Bool(false) => None,
            Self::Bool(true) | Self::Text(_) => Some(OfferedMetadata { sha256: None }),
            Self::Hashes(hashes) => {
                Some(OfferedMetadata { sha256: hashes.get("sha256").and_then(|hex| Sha256Digest::from_hex(hex)) })
            }
        }
    }
}

/// Parses a PEP 691 JSON page served from `base`.
pub(crate) fn parse_json(body: &[u8], base: &Url) -> Result<ProjectFiles, String> {
    let page: JsonPage = serde_json::from_slice(body).map_err(|error| format!("invalid JSON: {error}"))?;
    let mut files = ProjectFiles::default();
    for file in page.files {
        files.push(&file.filename, |filename| {
            let url = base.join(&file.url).ok()?;
            let metadata = file.core_metadata.or(file.dist_info_metadata).and_then(JsonFlag::metadata);
            Some(IndexFile {
                filename,
                sha256: file.hashes.get("sha256").and_then(|hex| Sha256Digest::from_hex(hex)),
                url,
                requires_python: file.requires_python.as_deref().and_then(parse_requires_python),
                yanked: file.yanked.reason(),
                metadata,
                size: file.size,
                upload_time: file.upload_time.clone(),
            })
        });
    }
    Ok(files)
}

/// Parses a PEP 503 HTML page (or a find-links page) served from `base`.
pub(crate) fn parse_html(body: &[u8], base: &Url) -> Result<ProjectFiles, String> {
    let text = String::from_utf8_lossy(body);
    let dom = tl::parse(&text, tl::ParserOptions::default()).map_err(|error| format!("invalid HTML: {error}"))?;
    let parser = dom.parser();
    let attribute = |tag: &tl::HTMLTag<'_>, name: &str| -> Option<Option<String>> {
        tag.attributes()
            .get(name)
            .map(|value| value.map(|value| html_escape::decode_html_entities(&value.as_utf8_str()).into_owned()))
    };
    // A `<base href>` moves where relative links point (PEP 503 allows it).
    let base = dom
        .query_selector("base")
        .and_then(|mut nodes| nodes.next())
        .and_then(|node| node.get(parser)?.as_tag().and_then(|tag| attribute(tag, "href")).flatten())
        .and_then(|href| base.join(&href).ok())
        .unwrap_or_else(|| base.clone());
    let mut files = ProjectFiles::default();
    for node in dom.query_selector("a").into_iter().flatten() {
        let Some(tag) = node.get(parser).and_then(tl::Node::as_tag) else { continue };
        let Some(Some(href)) = attribute(tag, "href") else { continue };
        let Ok(mut url) = base.join(&href) else { continue };
        let fragment = url.fragment().map(str::to_owned);
        url.set_fragment(None);
        let Some(filename) =
            url.path_segments().and_then(|mut segments| segments.next_back()).map(super::http::percent_decoded)
        else {
            continue;
        };
        files.push(&filename, |filename| {
            let sha256 = fragment
                .as_deref()
                .and_then(|fragment| fragment.strip_prefix("sha256="))
                .and_then(Sha256Digest::from_hex);
            let metadata = attribute(tag, "data-core-metadata").or_else(|| attribute(tag, "data-dist-info-metadata"));
            let metadata = match metadata {
                None => None,
                Some(value) if value.as_deref() == Some("false") => None,
                Some(value) => Some(OfferedMetadata {
                    sha256: value
                        .as_deref()
                        .and_then(|value| value.strip_prefix("sha256="))
                        .and_then(Sha256Digest::from_hex),
                }),
            };
            Some(IndexFile {
                filename,
                url,
                sha256,
                requires_python: attribute(tag, "data-requires-python")
                    .flatten()
                    .as_deref()
                    .and_then(parse_requires_python),
                yanked: attribute(tag, "data-yanked").map(Option::unwrap_or_default),
                metadata,
                size: None,
                upload_time: None,
            })
        });
    }
    Ok(files)
}

/// Lists the wheels and source archives in a find-links directory.
pub(crate) fn list_directory(directory: &camino::Utf8Path) -> std::io::Result<ProjectFiles> {
    let mut files = ProjectFiles::default();
    for entry in fs_err::read_dir(directory)? {
        let path = entry?.path();
        let (Some(name), Ok(url)) = (path.file_name().and_then(|name| name.to_str()), Url::from_file_path(&path))
        else {
            continue;
        };
        files.push(name, |filename| Some(IndexFile::at(filename, url, None)));
    }
    Ok(files)
}

/// An invalid `requires-python` is ignored, as pip and uv do: old uploads carry broken ones.
fn parse_requires_python(text: &str) -> Option<VersionSpecifiers> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    VersionSpecifiers::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::{parse_html, parse_json};

    #[test]
    fn ok_json_page() {
        let base = url::Url::parse("https://index.invalid/simple/demo/").unwrap();
        let body = br#"{"meta":{"api-version":"1.1"},"name":"demo","files":[
            {"filename":"demo-1.0.tar.gz","url":"../../files/demo-1.0.tar.gz","hashes":{}},
            {"filename":"demo-1.0-py3-none-any.whl","url":"../../files/demo-1.0-py3-none-any.whl",
             "hashes":{"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
             "requires-python":">=3.8","yanked":"broken","core-metadata":{"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}]}"#;
        let files = parse_json(body, &base).unwrap();
        assert_eq!((files.sdists.len(), files.other_files), (1, 0));
        assert_eq!(files.sdists[0].filename, "demo-1.0.tar.gz");
        let wheel = &files.wheels[0];
        assert_eq!(wheel.url.as_str(), "https://index.invalid/files/demo-1.0-py3-none-any.whl");
        assert!(wheel.sha256.is_some());
        assert_eq!(wheel.yanked.as_deref(), Some("broken"));
        assert_eq!(wheel.requires_python.as_ref().unwrap().to_string(), ">=3.8");
        assert!(wheel.metadata.is_some_and(|metadata| metadata.sha256.is_some()));
    }

    #[test]
    fn ok_html_page() {
        let base = url::Url::parse("https://index.invalid/simple/demo/").unwrap();
        let body = br#"<html><body>
            <a href="../../files/demo-1.0-py3-none-any.whl#sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" data-requires-python="&gt;=3.8" data-dist-info-metadata="sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855">demo</a>
            <a href="../../files/demo-2.0-py3-none-any.whl" data-yanked>demo</a>
            <a href="../../files/demo-2.0.tar.gz">sdist</a>
            </body></html>"#;
        let files = parse_html(body, &base).unwrap();
        assert_eq!(files.wheels.len(), 2);
        assert_eq!((files.sdists.len(), files.other_files), (1, 0));
        assert_eq!(files.wheels[0].requires_python.as_ref().unwrap().to_string(), ">=3.8");
        assert!(files.wheels[0].sha256.is_some());
        assert!(files.wheels[0].metadata.is_some_and(|metadata| metadata.sha256.is_some()));
        assert_eq!(files.wheels[1].yanked.as_deref(), Some(""));
        assert!(files.wheels[1].metadata.is_none());
    }
}
