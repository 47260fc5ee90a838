//! Which indexes to ask, in the order `docs/resolve.md` gives: `--index-url`, `PEX_RS_INDEX_URL`,
//! `PIP_INDEX_URL`, `index-url` from pip's configuration files, the default that the target
//! interpreter's own pip reports, else an error that says how to set one. No index host name
//! is written into pex-rs itself.

use camino::{Utf8Path, Utf8PathBuf};
use url::Url;

use crate::env;

/// Where an index URL came from, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndexOrigin {
    /// Given by the caller (`--index-url`, `ResolveOptions::index_url`).
    CommandLine,
    /// The environment variable of that name.
    Environment(&'static str),
    /// pip's configuration file at that path.
    PipConfig(Utf8PathBuf),
    /// What an interpreter's pip names as its default.
    PipDefault,
}

/// The `index-url` and `extra-index-url` that pip's configuration files set, later files
/// overriding earlier ones as in pip (global, user, site, then `PIP_CONFIG_FILE`), the
/// `[install]` section overriding `[global]`.
#[derive(Clone, Debug, Default)]
pub(crate) struct PipConfig {
    pub(crate) index_url: Option<(String, Utf8PathBuf)>,
    pub(crate) extra_index_urls: Vec<String>,
}

impl PipConfig {
    /// Reads the files pip would read in this environment.
    pub(crate) fn load(environment: &env::Environment) -> Self {
        let mut config = Self::default();
        for path in config_files(environment) {
            if let Ok(text) = fs_err::read_to_string(&path) {
                config.apply(&text, &path);
            }
        }
        if let Some(value) = environment.var(env::PIP_EXTRA_INDEX_URL) {
            config.extra_index_urls = value.to_string_lossy().split_whitespace().map(str::to_owned).collect();
        }
        config
    }

    pub(crate) fn apply(&mut self, text: &str, path: &Utf8Path) {
        let mut section = String::new();
        let mut values: Vec<(String, String, String)> = Vec::new();
        let mut last_key: Option<usize> = None;
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
                continue;
            }
            if let Some(name) = trimmed.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
                name.trim().clone_into(&mut section);
                last_key = None;
            } else if line.starts_with([' ', '\t']) && last_key.is_some() {
                // A continuation line (pip lists several extra indexes this way).
                let entry = &mut values[last_key.unwrap_or_default()];
                entry.2.push(' ');
                entry.2.push_str(trimmed);
            } else if let Some((key, value)) = trimmed.split_once(['=', ':']) {
                values.push((section.clone(), key.trim().replace('_', "-"), value.trim().to_owned()));
                last_key = Some(values.len() - 1);
            }
        }
        for wanted in ["global", "install"] {
            for (_, key, value) in values.iter().filter(|(section, _, _)| section == wanted) {
                match key.as_str() {
                    "index-url" if !value.is_empty() => self.index_url = Some((value.clone(), path.to_owned())),
                    "extra-index-url" => {
                        self.extra_index_urls = value.split_whitespace().map(str::to_owned).collect();
                    }
                    _ => {}
                }
            }
        }
    }
}

/// pip's configuration files in loading order (later wins).
fn config_files(environment: &env::Environment) -> Vec<Utf8PathBuf> {
    let text = |name| environment.var(name).map(|value| value.to_string_lossy().into_owned());
    let mut files = Vec::new();
    let xdg_dirs = text(env::XDG_CONFIG_DIRS).unwrap_or_else(|| "/etc/xdg".to_owned());
    files.extend(
        xdg_dirs.split(':').filter(|dir| !dir.is_empty()).map(|dir| Utf8PathBuf::from(dir).join("pip/pip.conf")),
    );
    files.push(Utf8PathBuf::from("/etc/pip.conf"));
    let config_file = text(env::PIP_CONFIG_FILE);
    // pip's way to turn every configuration file off.
    if config_file.as_deref() == Some("/dev/null") {
        return Vec::new();
    }
    // pip skips the user's files when `PIP_CONFIG_FILE` names an existing file.
    if !config_file.as_deref().is_some_and(|file| Utf8Path::new(file).exists())
        && let Some(home) = text(env::HOME)
    {
        files.push(Utf8PathBuf::from(&home).join(".pip/pip.conf"));
        let config_home = text(env::XDG_CONFIG_HOME).unwrap_or_else(|| format!("{home}/.config"));
        files.push(Utf8PathBuf::from(config_home).join("pip/pip.conf"));
    }
    if let Some(virtual_env) = text(env::VIRTUAL_ENV) {
        files.push(Utf8PathBuf::from(virtual_env).join("pip.conf"));
    }
    files.extend(config_file.map(Utf8PathBuf::from));
    files
}

/// Parses an index URL and makes sure it ends in `/`, so project names join below it.
pub(crate) fn parse_index_url(text: &str) -> Result<Url, super::Error> {
    let bad = |reason: String| super::Error::BadUrl { url: super::http::redact_text(text), reason };
    let mut url = Url::parse(text.trim()).map_err(|error| bad(error.to_string()))?;
    if url.scheme() == "file" {
        return Err(bad("a local directory is not an index; pass it with `--find-links DIR`".to_owned()));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("only http and https indexes are supported".to_owned()));
    }
    if !url.path().ends_with('/') {
        url.set_path(&format!("{}/", url.path()));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::PipConfig;

    #[test]
    fn ok_pip_config() {
        let mut config = PipConfig::default();
        config.apply(
            "[global]\nindex-url = https://a.invalid/simple\nextra-index-url =\n    https://b.invalid/simple\n    https://c.invalid/simple\ncert = /x\n",
            camino::Utf8Path::new("/etc/pip.conf"),
        );
        assert_eq!(config.index_url.as_ref().map(|(url, _)| url.as_str()), Some("https://a.invalid/simple"));
        assert_eq!(config.extra_index_urls, ["https://b.invalid/simple", "https://c.invalid/simple"]);
        config.apply("[install]\nindex_url: https://d.invalid/simple\n", camino::Utf8Path::new("/x/pip.conf"));
        assert_eq!(config.index_url.as_ref().map(|(url, _)| url.as_str()), Some("https://d.invalid/simple"));
    }
}
