//! Keeps the module layering of `lib.rs` true: a module may use only the modules listed
//! before it (STYLE.md, "Proposed pexcore module layout").

/// The modules in layering order; `error` sits just above `ops`, which returns it.
const ORDER: &[&str] =
    &["env", "fs", "hash", "requirement", "dist", "pexinfo", "cache", "wheel", "interpreter", "build", "error", "ops"];

#[test]
fn ok_modules_use_only_modules_above_them() {
    let source_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (position, module) in ORDER.iter().enumerate() {
        let text = fs_err::read_to_string(source_dir.join(format!("{module}.rs"))).unwrap();
        for (index, used) in ORDER.iter().enumerate() {
            let pattern = format!("crate::{used}");
            let uses = text.lines().any(|line| !line.trim_start().starts_with("//") && line.contains(&pattern));
            assert!(!uses || index < position || used == module, "`{module}` uses `{used}`, which is not above it");
        }
    }
}
