//! Git repositories as sources (`name @ git+https://host/repo.git@REV#subdirectory=DIR`),
//! through the `git` program: a reference is resolved to its commit (`git ls-remote`), and each
//! commit is cloned once into the build cache:
//!
//! ```text
//! checkouts/v1/<sha256(repository)[..16]>-<commit>/     a checkout, with its `.git`
//! checkouts/v1/refs/<sha256(repository, rev)>           the commit a rev had, for --offline
//! ```
//!
//! A checkout keeps its `.git`: projects that take their version from git need it. `git` never
//! prompts (`GIT_TERMINAL_PROMPT=0`): a repository that needs credentials takes them from the
//! URL or git's own credential helpers.

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};
use url::Url;

use super::{Error, Index, http};
use crate::cache::Bucket;
use crate::hash::Sha256Digest;

/// A parsed `git+` URL.
#[derive(Clone, Debug)]
pub(crate) struct GitReference {
    /// The repository URL git clones (scheme without `git+`, no rev, no fragment).
    repository: String,
    /// The branch, tag or commit after the last `@` of the path; `None` for the default branch.
    rev: Option<String>,
    /// The project's directory inside the repository (`#subdirectory=`).
    subdirectory: Option<Utf8PathBuf>,
}

/// A checked out commit.
#[derive(Clone, Debug)]
pub(crate) struct Checkout {
    /// The project's directory in the checkout.
    pub(crate) root: Utf8PathBuf,
    pub(crate) commit: String,
    /// The reference pinned to its commit, credentials hidden: `git+https://host/x.git@<commit>`.
    pub(crate) pinned: String,
}

impl GitReference {
    /// Parses a `git+https`, `git+http`, `git+ssh`, `git+git` or `git+file` URL.
    pub(crate) fn parse(url: &Url) -> Result<Self, Error> {
        let bad = |reason: &str| Error::BadUrl { url: http::redact(url), reason: reason.to_owned() };
        let scheme = url.scheme().strip_prefix("git+").ok_or_else(|| bad("it is not a `git+` URL"))?;
        let mut subdirectory = None;
        for parameter in url.fragment().unwrap_or_default().split('&') {
            if let Some(directory) = parameter.strip_prefix("subdirectory=") {
                let directory = crate::fs::enclosed(directory.trim_end_matches('/'))
                    .ok_or_else(|| bad("its `subdirectory` is not a relative path inside the repository"))?;
                subdirectory = Some(directory);
            }
        }
        let mut base = url.clone();
        base.set_fragment(None);
        let path = base.path().to_owned();
        let (path, rev) = match path.rsplit_once('@') {
            Some((path, rev)) if !rev.is_empty() => (path.to_owned(), Some(http::percent_decoded(rev))),
            _ => (path, None),
        };
        base.set_path(&path);
        let text = base.as_str();
        let repository = format!("{scheme}{}", &text[url.scheme().len()..]);
        Ok(Self { repository, rev, subdirectory })
    }

    /// The repository URL without secrets or `git+`, and the project's directory in it: how a
    /// lock file names a checkout.
    pub(crate) fn repository_and_subdirectory(&self) -> (String, Option<String>) {
        (self.shown(), self.subdirectory.as_ref().map(ToString::to_string))
    }

    /// The repository without secrets, as messages, PEX-INFO and the checkout's own `origin`
    /// show it: no password or token; an ssh user name (`git@host`, no secret) stays.
    fn shown(&self) -> String {
        let Ok(mut url) = Url::parse(&self.repository) else { return http::redact_text(&self.repository) };
        let keeps_user = url.scheme() == "ssh" && url.password().is_none();
        let _ = url.set_password(None);
        if !keeps_user {
            let _ = url.set_username("");
        }
        url.to_string()
    }
}

impl Index {
    /// The checkout of `reference`: its commit resolved (from the network, or with `--offline`
    /// what an earlier build resolved), then cloned unless the cache has it.
    pub(crate) fn checkout(&self, reference: &GitReference) -> Result<Checkout, Error> {
        let bucket = self.cache.bucket(Bucket::Checkouts)?;
        let repository_key = Sha256Digest::of(reference.shown().as_bytes()).to_string();
        let remembered = bucket.join("refs").join(
            Sha256Digest::of(
                format!("{}\0{}", reference.repository, reference.rev.as_deref().unwrap_or("HEAD")).as_bytes(),
            )
            .to_string(),
        );
        let commit = match &reference.rev {
            Some(rev) if is_full_commit(rev) => rev.to_ascii_lowercase(),
            _ if self.offline => fs_err::read_to_string(&remembered)
                .ok()
                .map(|text| text.trim().to_owned())
                .filter(|text| is_full_commit(text))
                .ok_or_else(|| Error::Offline { file: format!("the commit of {}", reference.shown()) })?,
            _ => {
                let commit = resolve_rev(reference)?;
                if let Some(parent) = remembered.parent() {
                    let _ = fs_err::create_dir_all(parent);
                }
                let _ = crate::fs::write_atomic(&remembered, commit.as_bytes());
                commit
            }
        };
        let directory = bucket.join(format!("{}-{commit}", &repository_key[..16]));
        if !directory.join(".git").exists() {
            if self.offline {
                return Err(Error::Offline { file: format!("{}@{commit}", reference.shown()) });
            }
            self.clone_at(reference, &commit, &bucket, &directory)?;
        }
        crate::cache::touch(&directory.join(".git"));
        let root = match &reference.subdirectory {
            Some(subdirectory) => directory.join(subdirectory),
            None => directory,
        };
        let fragment = reference.subdirectory.as_ref().map(|directory| format!("#subdirectory={directory}"));
        let pinned = format!("git+{}@{commit}{}", reference.shown(), fragment.unwrap_or_default());
        Ok(Checkout { root, commit, pinned })
    }
}

/// The commit `reference`'s rev names on the remote (`git ls-remote`); a short commit is found
/// by cloning.
fn resolve_rev(reference: &GitReference) -> Result<String, Error> {
    {
        let rev = reference.rev.as_deref();
        let listing = git(reference, None, &["ls-remote", &reference.repository])?;
        let refs: Vec<(&str, &str)> = listing.lines().filter_map(|line| line.split_once('\t')).collect();
        let wanted: Vec<String> = match rev {
            None => vec!["HEAD".to_owned()],
            Some(rev) => vec![
                format!("refs/tags/{rev}^{{}}"),
                format!("refs/tags/{rev}"),
                format!("refs/heads/{rev}"),
                rev.to_owned(),
            ],
        };
        for name in &wanted {
            if let Some((commit, _)) = refs.iter().find(|(_, candidate)| candidate == name) {
                return Ok((*commit).to_owned());
            }
        }
        match rev {
            Some(rev) if rev.len() >= 4 && rev.chars().all(|character| character.is_ascii_hexdigit()) => {
                // A short commit: only a clone can tell which one.
                let temp = tempfile::tempdir().map_err(|source| Error::CacheWrite {
                    path: Utf8PathBuf::from(std::env::temp_dir().to_string_lossy().into_owned()),
                    source,
                })?;
                let path = Utf8Path::from_path(temp.path()).expect("UTF-8 temp dir").join("clone");
                git(reference, None, &["clone", "--quiet", "--no-checkout", &reference.repository, path.as_str()])?;
                let commit = git(reference, Some(&path), &["rev-parse", "--verify", &format!("{rev}^{{commit}}")])?;
                Ok(commit.trim().to_owned())
            }
            Some(rev) => Err(Error::Git {
                repository: reference.shown(),
                reason: format!("it has no branch, tag or commit `{rev}`"),
            }),
            None => Err(Error::Git { repository: reference.shown(), reason: "it has no HEAD".to_owned() }),
        }
    }
}

impl Index {
    /// Clones `reference` at `commit` into `directory` (through a temporary directory beside it).
    fn clone_at(
        &self,
        reference: &GitReference,
        commit: &str,
        bucket: &Utf8Path,
        directory: &Utf8Path,
    ) -> Result<(), Error> {
        let write_error = |source| Error::CacheWrite { path: bucket.to_owned(), source };
        let temp = tempfile::Builder::new().prefix(".clone.").tempdir_in(bucket).map_err(write_error)?;
        let path = Utf8Path::from_path(temp.path()).expect("a UTF-8 bucket gives UTF-8 temp dirs").join("checkout");
        self.reporter.download_started(&reference.shown(), None);
        let result = (|| -> Result<(), Error> {
            git(reference, None, &["clone", "--quiet", "--no-checkout", &reference.repository, path.as_str()])?;
            git(reference, Some(&path), &["checkout", "--quiet", "--detach", commit])?;
            if path.join(".gitmodules").is_file() {
                git(reference, Some(&path), &["submodule", "--quiet", "update", "--init", "--recursive"])?;
            }
            // The clone's config must not keep a token of the URL: builds see this `.git`.
            git(reference, Some(&path), &["remote", "set-url", "origin", &reference.shown()])?;
            Ok(())
        })();
        self.reporter.download_finished(&reference.shown());
        result?;
        match fs_err::rename(&path, directory) {
            Ok(()) => Ok(()),
            Err(_) if directory.join(".git").exists() => Ok(()),
            Err(source) => Err(Error::CacheWrite { path: directory.to_owned(), source }),
        }
    }
}

/// Runs `git ARGS` (in `directory`), never prompting; its stdout, or an error naming the
/// repository and git's last line.
fn git(reference: &GitReference, directory: Option<&Utf8Path>, arguments: &[&str]) -> Result<String, Error> {
    let mut command = Command::new("git");
    command.args(arguments).env("GIT_TERMINAL_PROMPT", "0").env("GIT_OPTIONAL_LOCKS", "0");
    if let Some(directory) = directory {
        command.current_dir(directory);
    }
    let output = command.stdin(std::process::Stdio::null()).output().map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::GitMissing { repository: reference.shown() }
        } else {
            Error::Git { repository: reference.shown(), reason: source.to_string() }
        }
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().map(str::trim).rfind(|line| !line.is_empty()).unwrap_or("it failed");
        return Err(Error::Git { repository: reference.shown(), reason: http::redact_text(last) });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn is_full_commit(text: &str) -> bool {
    text.len() == 40 && text.chars().all(|character| character.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::GitReference;

    #[test]
    fn ok_git_references() {
        for (text, repository, rev, subdirectory) in [
            ("git+https://host.example/x/repo.git", "https://host.example/x/repo.git", None, None),
            ("git+https://host.example/x/repo.git@v1.0", "https://host.example/x/repo.git", Some("v1.0"), None),
            (
                "git+ssh://git@host.example/x/repo.git@main#subdirectory=pkg/sub&egg=x",
                "ssh://git@host.example/x/repo.git",
                Some("main"),
                Some("pkg/sub"),
            ),
            ("git+file:///srv/repo@0123abc", "file:///srv/repo", Some("0123abc"), None),
        ] {
            let reference = GitReference::parse(&url::Url::parse(text).unwrap()).unwrap();
            assert_eq!(reference.repository, repository, "{text}");
            assert_eq!(reference.rev.as_deref(), rev, "{text}");
            assert_eq!(reference.subdirectory.as_ref().map(|directory| directory.as_str()), subdirectory, "{text}");
        }
        let error = GitReference::parse(&url::Url::parse("git+https://host.example/x.git#subdirectory=../up").unwrap());
        assert!(error.unwrap_err().to_string().contains("subdirectory"));
    }
}
