//! Keeps the module layering of `lib.rs` true: a module may use only the modules listed
//! before it (the table in `lib.rs`).

/// The modules in layering order; `error` sits just above `ops`, which returns it.
const ORDER: &[&str] = &[
    "env",
    "fs",
    "pex_root",
    "hash",
    "boot",
    "zip_limits",
    "progress",
    "requirement",
    "tags",
    "dist",
    "requirements_file",
    "lockfile",
    "pexinfo",
    "cache",
    "wheel",
    "interpreter",
    "target",
    "index",
    "sdist",
    "resolve",
    "bytecode",
    "build",
    "extract",
    "prune",
    "error",
    "ops",
];

/// The source of `module`: `module.rs`, or every file of the directory `module/`.
fn source_of(module: &str) -> String {
    let source_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let file = source_dir.join(format!("{module}.rs"));
    let mut text = fs_err::read_to_string(&file).unwrap_or_default();
    if let Ok(entries) = fs_err::read_dir(source_dir.join(module)) {
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|extension| extension == "rs") {
                text.push_str(&fs_err::read_to_string(&path).unwrap());
            }
        }
    }
    assert!(!text.is_empty(), "no source for the module `{module}`");
    text
}

/// `true` when `line` names `crate::{module}` as a whole path segment.
fn names(line: &str, module: &str) -> bool {
    let pattern = format!("crate::{module}");
    line.match_indices(&pattern).any(|(start, _)| {
        !line[start + pattern.len()..].starts_with(|next: char| next.is_alphanumeric() || next == '_')
    })
}

#[test]
fn ok_modules_use_only_modules_above_them() {
    for (position, module) in ORDER.iter().enumerate() {
        let text = source_of(module);
        for (index, used) in ORDER.iter().enumerate() {
            let uses = text.lines().any(|line| !line.trim_start().starts_with("//") && names(line, used));
            assert!(!uses || index < position || used == module, "`{module}` uses `{used}`, which is not above it");
        }
    }
}

#[test]
fn ok_every_module_is_ordered() {
    let lib = fs_err::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|line| line.strip_prefix("mod ")?.strip_suffix(';'))
        .filter(|module| *module != "layering")
        .collect();
    assert_eq!(declared, ORDER, "lib.rs declares the modules in layering order");
}
