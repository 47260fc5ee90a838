//! The bytecode a PEX carries for its target interpreters (docs/format.md, "Bytecode").

use std::io::Read;

use camino::{Utf8Path, Utf8PathBuf};

use crate::support::{Python, TestContext, WheelBuilder, pythons, skip, stdout_of, write_file};

/// The `.pyc` members of a PEX, by name, with their bytes.
fn bytecode_members(pex: &Utf8Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(fs_err::File::open(pex).unwrap()).unwrap();
    let mut members = Vec::new();
    for index in 0..archive.len() {
        let mut member = archive.by_index(index).unwrap();
        let name = member.name().unwrap().into_owned();
        if name.ends_with(".pyc") {
            let mut bytes = Vec::new();
            member.read_to_end(&mut bytes).unwrap();
            members.push((name, bytes));
        }
    }
    members
}

/// Two wheels sharing the namespace package `ns` (PEP 420), one with a top-level module, and
/// user code: every kind of place a module can be.
fn build_project(context: &TestContext, extra: &[&str]) -> Utf8PathBuf {
    let first = WheelBuilder::new("first", "1.0")
        .file("ns/first/__init__.py", "VALUE = 'first'\n")
        .file("top.py", "VALUE = 'top'\n")
        .file("broken_py2.py", "print 'python 2'\n")
        .build(&context.dir);
    let second = WheelBuilder::new("second", "1.0").file("ns/second.py", "VALUE = 'second'\n").build(&context.dir);
    write_file(
        &context.dir,
        "src/app.py",
        "import ns.first, ns.second, top\nprint(ns.first.VALUE, ns.second.VALUE, top.VALUE)\n",
    );
    let mut args = vec![first.as_str(), second.as_str(), "-D", "src", "-e", "app", "-o", "app.pex"];
    args.extend_from_slice(extra);
    context.build(&args);
    context.dir.join("app.pex")
}

#[test]
fn a_first_start_imports_the_bytecode_the_pex_carries() {
    let context = TestContext::new();
    let pythons = pythons();
    let mut args = Vec::new();
    for python in pythons {
        args.extend(["--python", python.path.to_str().unwrap()]);
    }
    let pex = build_project(&context, &args);
    let members = bytecode_members(&pex);
    for python in pythons {
        let tag = python.cache_tag();
        for expected in [
            format!(".deps/first-1.0-py3-none-any.whl/ns/first/__pycache__/__init__.{tag}.pyc"),
            format!(".deps/first-1.0-py3-none-any.whl/__pycache__/top.{tag}.pyc"),
            format!(".deps/second-1.0-py3-none-any.whl/ns/__pycache__/second.{tag}.pyc"),
            format!("__pycache__/app.{tag}.pyc"),
            format!("__pex_rs__/__pycache__/runner.{tag}.pyc"),
            format!("__pex_rs__/__pycache__/boot.{tag}.pyc"),
            format!("__pex_rs__/__pycache__/search.{tag}.pyc"),
            format!("__pex_rs__/__pycache__/fit.{tag}.pyc"),
            format!("__pex_rs__/__pycache__/tools.{tag}.pyc"),
        ] {
            assert!(members.iter().any(|(name, _)| *name == expected), "no `{expected}` in {members:#?}");
        }
    }
    // A file that does not compile is left to Python, as pip's compileall leaves it.
    assert!(!members.iter().any(|(name, _)| name.contains("broken_py2")), "{members:#?}");
    for (name, bytes) in &members {
        // PEP 552: hash-based (bit 0), not checked against the source (bit 1 clear).
        assert_eq!(bytes[4..8], [1, 0, 0, 0], "`{name}` is not an unchecked hash-based .pyc");
    }

    for python in pythons {
        let output = context.run_pex(python, &pex, &[]);
        assert_eq!(stdout_of(&output), "first second top\n", "{}", python.name);
    }
    // Python found every module's bytecode valid: had it compiled one, it would have replaced
    // the file with a timestamp-based one. The venv's own `__pycache__` directories are real
    // directories, linking to the wheels' files, so nothing it writes lands in a wheel.
    let installed = context.pex_root.join("installed_wheels/v1");
    for (name, bytes) in &members {
        let Some(inside) = name.strip_prefix(".deps/") else { continue };
        let path = fs_err::read_dir(&installed)
            .unwrap()
            .map(|entry| Utf8PathBuf::from_path_buf(entry.unwrap().path()).unwrap().join(inside))
            .find(|path| path.exists())
            .unwrap_or_else(|| panic!("`{inside}` is not installed"));
        assert_eq!(&fs_err::read(&path).unwrap(), bytes, "`{path}` was rewritten");
    }
    let mut checked = 0;
    for venv in fs_err::read_dir(context.pex_root.join("venvs/v1")).unwrap() {
        for interpreter in fs_err::read_dir(venv.unwrap().path()).unwrap() {
            let interpreter = interpreter.unwrap().path();
            if interpreter.is_symlink() || !interpreter.is_dir() {
                continue; // the `sh` link
            }
            let site_packages = fs_err::read_dir(interpreter.join("lib")).unwrap().next().unwrap().unwrap().path();
            let site_packages = site_packages.join("site-packages");
            for cache in [site_packages.join("__pycache__"), site_packages.join("ns/__pycache__")] {
                assert!(cache.is_dir() && !cache.is_symlink(), "{} is not a real directory", cache.display());
            }
            let top = fs_err::read_dir(site_packages.join("__pycache__"))
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .find(|path| path.file_name().unwrap().to_string_lossy().starts_with("top."))
                .expect("the top-level module's bytecode is linked");
            assert!(top.is_symlink(), "{} is not a link", top.display());
            // The venv's copy of the boot code, the runner alone, comes with the PEX's bytecode of
            // the runner, and nothing of the cold path.
            let boot = fs_err::read_dir(site_packages.join("__pycache__"))
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .find(|path| path.file_name().unwrap().to_string_lossy().starts_with("__pex_rs_boot__."))
                .unwrap();
            let file_name = boot.file_name().unwrap().to_string_lossy().into_owned();
            let tag = file_name.strip_prefix("__pex_rs_boot__.").unwrap();
            let name = format!("__pex_rs__/__pycache__/runner.{tag}");
            let kept = fs_err::read_to_string(site_packages.join("__pex_rs_boot__.py")).unwrap();
            let runner =
                fs_err::read_to_string(Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../pexcore/src/boot/runner.py"));
            assert_eq!(kept, runner.unwrap());
            assert!(!kept.contains("def boot("), "{kept}");
            let shipped = members.iter().find(|(member, _)| *member == name).map(|(_, bytes)| bytes);
            assert_eq!(shipped, Some(&fs_err::read(&boot).unwrap()), "{}", boot.display());
            checked += 1;
        }
    }
    let mut distinct: Vec<_> = pythons.iter().map(|python| fs_err::canonicalize(&python.path).unwrap()).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(checked, distinct.len(), "one venv per interpreter");
}

#[test]
fn no_compile_leaves_the_bytecode_out() {
    let context = TestContext::new();
    let pex = build_project(&context, &["--no-compile"]);
    assert_eq!(bytecode_members(&pex), Vec::new());
}

#[test]
fn bytecode_comes_from_the_cache_the_second_time() {
    let context = TestContext::new();
    let first = fs_err::read(build_project(&context, &[])).unwrap();
    let cached = fs_err::read_dir(context.cache_dir.join("bytecode/v1")).unwrap().count();
    assert_eq!(cached, 4, "one archive per wheel, one for the user code, one for the boot code");
    // Damaged cache entries (one byte changed, or nothing like a zip) are compiled again; the
    // PEX is the same either way.
    for (index, entry) in fs_err::read_dir(context.cache_dir.join("bytecode/v1")).unwrap().enumerate() {
        let path = entry.unwrap().path();
        let mut bytes = fs_err::read(&path).unwrap();
        if index % 2 == 0 {
            let middle = bytes.len() / 2;
            bytes[middle] ^= 1;
        } else {
            bytes = b"not a zip".to_vec();
        }
        fs_err::write(&path, bytes).unwrap();
    }
    let second = fs_err::read(build_project(&context, &[])).unwrap();
    assert!(first == second, "the rebuild differs");
    let third = fs_err::read(build_project(&context, &[])).unwrap();
    assert!(first == third, "the build from the cache differs");
}

#[test]
fn a_wheel_is_compiled_only_by_the_interpreters_that_install_it() {
    let context = TestContext::new();
    let find = |version: (u32, u32)| pythons().iter().find(|python| python.version == version);
    let (Some(old), Some(new)) = (find((3, 8)), find((3, 11))) else {
        skip("a_wheel_is_compiled_only_by_the_interpreters_that_install_it", "it needs python3.8 and python3.11");
        return;
    };
    let for_old =
        WheelBuilder::new("tagged", "1.0").tag("cp38-none-any").file("tagged.py", "V = 38\n").build(&context.dir);
    let for_new =
        WheelBuilder::new("tagged", "1.0").tag("cp311-none-any").file("tagged.py", "V = 311\n").build(&context.dir);
    let (old_path, new_path) = (old.path.to_str().unwrap(), new.path.to_str().unwrap());
    context.build(&[
        for_old.as_str(),
        for_new.as_str(),
        "--python",
        old_path,
        "--python",
        new_path,
        "-o",
        "tagged.pex",
    ]);
    let names: Vec<String> =
        bytecode_members(&context.dir.join("tagged.pex")).into_iter().map(|(name, _)| name).collect();
    let (old_tag, new_tag) = (old.cache_tag(), new.cache_tag());
    for (wheel, tag, other) in [("cp38", &old_tag, &new_tag), ("cp311", &new_tag, &old_tag)] {
        let prefix = format!(".deps/tagged-1.0-{wheel}-none-any.whl/__pycache__/tagged.");
        assert!(names.contains(&format!("{prefix}{tag}.pyc")), "{names:#?}");
        assert!(!names.contains(&format!("{prefix}{other}.pyc")), "{names:#?}");
    }
    for (python, expected) in [(old, "38\n"), (new, "311\n")] {
        let output =
            context.run_pex(python, &context.dir.join("tagged.pex"), &["-c", "import tagged; print(tagged.V)"]);
        assert_eq!(stdout_of(&output), expected, "{}", python.name);
    }
}

#[test]
fn two_interpreters_of_one_cache_tag_share_its_bytecode() {
    // pyenv's CPython 3.X and the system's 3.X are two targets with one `.pyc` file name: the PEX
    // gets one set of them (a second would be a member twice, which the zip writer refuses).
    let test = "two_interpreters_of_one_cache_tag_share_its_bytecode";
    let mut by_tag: std::collections::BTreeMap<String, Vec<&Python>> = std::collections::BTreeMap::new();
    let system: Vec<Python> =
        ["/usr/bin/python3", "/usr/local/bin/python3"].iter().filter_map(|path| crate::support::probe(path)).collect();
    for python in pythons().iter().chain(&system) {
        let entry = by_tag.entry(python.cache_tag()).or_default();
        if !entry.iter().any(|other| other.path == python.path) {
            entry.push(python);
        }
    }
    let Some((tag, pair)) = by_tag.into_iter().find(|(_, pythons)| pythons.len() > 1) else {
        return skip(test, "no two interpreters of one cache tag here");
    };
    let context = TestContext::new();
    let wheel = WheelBuilder::new("shared", "1.0").file("shared.py", "VALUE = 7\n").build(&context.dir);
    let (first, second) = (pair[0].path.to_str().unwrap(), pair[1].path.to_str().unwrap());
    context.build(&[wheel.as_str(), "--python", first, "--python", second, "-o", "app.pex"]);
    let pex = context.dir.join("app.pex");
    let compiled: Vec<_> =
        bytecode_members(&pex).into_iter().filter(|(name, _)| name.ends_with(&format!("shared.{tag}.pyc"))).collect();
    assert_eq!(compiled.len(), 1, "{compiled:?}");
    for python in &pair[..2] {
        let output = context.run_pex(python, &pex, &["-c", "import shared; print(shared.VALUE)"]);
        assert_eq!(stdout_of(&output), "7\n", "{}", python.name);
    }
}
