//! Archive member names (`pexcore::enclosed`): any name is either refused or becomes a
//! relative path of plain components, with no `..` and no control characters, that the check
//! accepts again unchanged.

#![no_main]

use camino::Utf8Component;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    let Some(path) = pexcore::enclosed(name) else {
        return;
    };
    assert!(path.is_relative(), "{name:?} became {path:?}, which is not relative");
    assert!(
        path.components().all(|component| matches!(component, Utf8Component::Normal(_))),
        "{name:?} became {path:?}, which has a root, prefix, `.` or `..` component"
    );
    // `components()` quietly drops inner `.` and empty parts, so look at the text too.
    assert!(
        path.as_str().split('/').all(|part| !matches!(part, "" | "." | "..")),
        "{name:?} became {path:?}, which has an empty, `.` or `..` part"
    );
    assert!(!path.as_str().chars().any(char::is_control), "{name:?} became {path:?}, which has a control character");
    assert_eq!(
        pexcore::enclosed(path.as_str()).as_ref(),
        Some(&path),
        "{name:?} became {path:?}, which is not accepted again unchanged"
    );
});
