use std::io::Read;

use crate::support::{TestContext, WheelBuilder, python3, stdout_of, write_file, write_zip};

fn zip_names(path: &camino::Utf8Path) -> Vec<String> {
    let archive = zip::ZipArchive::new(fs_err::File::open(path).unwrap()).unwrap();
    archive.file_names().map(|name| name.unwrap().into_owned()).collect::<Vec<_>>()
}

/// Reads a member's stored (compressed) bytes and its compression method.
fn raw_member(path: &camino::Utf8Path, name: &str) -> (Vec<u8>, zip::CompressionMethod, u32) {
    let mut archive = zip::ZipArchive::new(fs_err::File::open(path).unwrap()).unwrap();
    let index = archive.index_for_name(name).unwrap_or_else(|| panic!("no `{name}` in `{path}`"));
    let mut entry = archive.by_index_raw(index).unwrap();
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).unwrap();
    (bytes, entry.compression(), entry.crc32())
}

#[test]
fn wheel_members_are_installed_under_deps_and_copied_raw() {
    let context = TestContext::new();
    let wheel = WheelBuilder::new("layout-demo", "1.0")
        .file("layout_demo/__init__.py", "VALUE = 1\n")
        .file("layout_demo-1.0.data/purelib/extra_module.py", "X = 2\n")
        .file("layout_demo-1.0.data/platlib/plat_module.py", "Y = 3\n")
        .file("layout_demo-1.0.data/scripts/demo-tool", "#!python\nprint('tool')\n")
        .file("layout_demo-1.0.data/data/share/demo/readme.txt", "data\n")
        .file("layout_demo-1.0.data/headers/demo.h", "int x;\n")
        .build(&context.dir);
    context.build(&[wheel.as_str(), "-o", "out.pex"]);
    let pex = context.dir.join("out.pex");

    let deps = ".deps/layout_demo-1.0-py3-none-any.whl";
    let names = zip_names(&pex);
    for expected in [
        "layout_demo/__init__.py",
        "extra_module.py",
        "plat_module.py",
        ".prefix/bin/demo-tool",
        ".prefix/share/demo/readme.txt",
        ".prefix/include/layout-demo/demo.h",
        "layout_demo-1.0.dist-info/RECORD",
    ] {
        let name = format!("{deps}/{expected}");
        assert!(names.contains(&name), "`{name}` missing from {names:#?}");
    }
    assert!(!names.iter().any(|name| name.contains(".data/")), "`.data` was not relocated: {names:#?}");
    // Entries are sorted, with PEX-INFO last.
    let (last, rest) = names.split_last().unwrap();
    assert_eq!(last, "PEX-INFO");
    assert!(rest.windows(2).all(|pair| pair[0] < pair[1]), "entries are not sorted: {rest:#?}");

    // The member's compressed bytes are the wheel's own.
    let (in_pex, method, crc) = raw_member(&pex, &format!("{deps}/layout_demo/__init__.py"));
    let (in_wheel, wheel_method, wheel_crc) = raw_member(&wheel, "layout_demo/__init__.py");
    assert_eq!((in_pex, method, crc), (in_wheel, wheel_method, wheel_crc));
    assert_eq!(method, zip::CompressionMethod::Deflated);
}

#[test]
fn output_is_byte_reproducible() {
    let first = TestContext::new();
    let second = TestContext::new();
    let build = |context: &TestContext, extra: &[&str]| {
        let wheel = WheelBuilder::new("repro", "2.0").file("repro.py", "print('hi')\n").build(&context.dir);
        write_file(&context.dir, "src/app.py", "import repro\n");
        let mut args = vec![wheel.as_str(), "-D", "src", "-e", "app", "-o", "app.pex"];
        args.extend_from_slice(extra);
        context.build(&args);
        fs_err::read(context.dir.join("app.pex")).unwrap()
    };
    let one = build(&first, &[]);
    // A second build in another directory, with a warm cache this time and a different clock.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let two = build(&second, &[]);
    let three = build(&first, &[]);
    assert!(one == two && two == three, "builds differ");

    // SOURCE_DATE_EPOCH sets the time of pex-rs' own entries.
    let output = first
        .pex_rs()
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["build", "-D", "src", "-e", "app", "-o", "dated.pex"])
        .output()
        .unwrap();
    stdout_of(&output);
    let mut archive = zip::ZipArchive::new(fs_err::File::open(first.dir.join("dated.pex")).unwrap()).unwrap();
    let stamp = archive.by_name("app.py").unwrap().last_modified().unwrap();
    assert_eq!((stamp.year(), stamp.month(), stamp.day()), (2023, 11, 14));
    let stamp = archive.by_name("PEX-INFO").unwrap().last_modified().unwrap();
    assert_eq!((stamp.year(), stamp.month(), stamp.day(), stamp.hour()), (2023, 11, 14, 22));
}

#[test]
fn pex_hash_covers_the_boot_code() {
    let context = TestContext::new();
    write_file(&context.dir, "src/app.py", "");
    context.build(&["-D", "src", "-o", "app.pex"]);
    let path = context.dir.join("app.pex");
    let mut archive = zip::ZipArchive::new(fs_err::File::open(&path).unwrap()).unwrap();
    let mut info = String::new();
    archive.by_name("PEX-INFO").unwrap().read_to_string(&mut info).unwrap();
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    // The boot code is `__main__.py` and the modules under `__pex_rs__/` (not their bytecode),
    // hashed in name order, each as its name, its length and its bytes.
    let mut names: Vec<String> = archive
        .file_names()
        .map(|name| name.unwrap().into_owned())
        .filter(|name| name == "__main__.py" || (name.starts_with("__pex_rs__/") && !name.contains("__pycache__")))
        .collect();
    names.sort();
    assert!(names.len() > 2, "{names:?}");
    let mut hashed = Vec::new();
    for name in &names {
        let mut bytes = Vec::new();
        archive.by_name(name).unwrap().read_to_end(&mut bytes).unwrap();
        hashed.extend_from_slice(format!("{name}\0{}\0", bytes.len()).as_bytes());
        hashed.extend_from_slice(&bytes);
    }
    let digest = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&hashed));
    assert_eq!(
        info["build_properties"]["pex_rs_boot"],
        serde_json::json!(digest),
        "pex_hash covers PEX-INFO, so the boot code"
    );
}

#[test]
fn info_shows_pex_info_and_distributions() {
    let context = TestContext::new();
    let wheel = WheelBuilder::new("six", "1.17.0").tag("py2.py3-none-any").file("six.py", "").build(&context.dir);
    context.build(&[wheel.as_str(), "-e", "six", "-o", "six.pex"]);

    let text = stdout_of(&context.pex_rs().args(["info", "six.pex"]).output().unwrap());
    assert!(text.contains("built by:     pex-rs "), "{text}");
    assert!(text.contains("runs:         entry point `six`"), "{text}");
    assert!(text.contains("distributions (1):\n  six-1.17.0-py2.py3-none-any.whl  "), "{text}");

    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&context.pex_rs().args(["info", "six.pex", "--json"]).output().unwrap()))
            .unwrap();
    assert_eq!(json["entry_point"], "six");
    assert_eq!(json["requirements"], serde_json::json!(["six==1.17.0"]));
    assert_eq!(json["pex_rs_format"], 1);
    let digest = json["distributions"]["six-1.17.0-py2.py3-none-any.whl"].as_str().unwrap();
    assert_eq!(digest, format!("{:x}", sha2::Sha256::digest(fs_err::read(&wheel).unwrap())));
    // The recorded hash is the hash of the rest of the manifest.
    let mut without_hash = json.clone();
    without_hash.as_object_mut().unwrap().remove("pex_hash");
    let expected = format!("{:x}", sha2::Sha256::digest(without_hash.to_string().as_bytes()));
    assert_eq!(json["pex_hash"], expected.as_str());
}

use sha2::Digest as _;

#[test]
fn info_reads_a_pex_made_by_pex() {
    // The PEX-INFO of a PEX built by pex 2.x (abridged), in a zip laid out as pex lays it out.
    let context = TestContext::new();
    let pex_info = r#"{"bootstrap_hash":"0a1b","build_properties":{"pex_version":"2.105.2"},"code_hash":"9f","distributions":{"cowsay-6.1-py3-none-any.whl":"aa11"},"emit_warnings":true,"entry_point":"cowsay.__main__:cli","inherit_path":"false","interpreter_constraints":["CPython==3.11.*"],"pex_hash":"77ab","requirements":["cowsay==6.1"],"strip_pex_env":true,"venv":false}"#;
    let path = context.dir.join("from-pex.pex");
    write_zip(
        &path,
        &[
            ("PEX-INFO".to_owned(), pex_info.as_bytes().to_vec(), 0o644),
            ("__main__.py".to_owned(), b"# pex boot\n".to_vec(), 0o755),
            (".bootstrap/pex/__init__.py".to_owned(), Vec::new(), 0o644),
        ],
    );
    let text = stdout_of(&context.pex_rs().args(["info", path.as_str()]).output().unwrap());
    assert!(text.contains("built by:     pex 2.105.2"), "{text}");
    assert!(text.contains("runs:         entry point `cowsay.__main__:cli`"), "{text}");
    assert!(text.contains("interpreters: CPython==3.11.*"), "{text}");
    assert!(text.contains("cowsay-6.1-py3-none-any.whl  aa11"), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&context.pex_rs().args(["info", path.as_str(), "--json"]).output().unwrap()))
            .unwrap();
    assert_eq!(json["bootstrap_hash"], "0a1b", "unknown fields are kept");
    assert_eq!(json["venv"], false);
}

#[test]
fn requirements_must_be_among_the_wheels() {
    let context = TestContext::new();
    let app = WheelBuilder::new("app", "1.0")
        .file("app.py", "")
        .requires("lib>=2")
        .requires("never-installed; python_version < '3'")
        .requires("lib[fast]>=2")
        .build(&context.dir);
    let old_lib = WheelBuilder::new("lib", "1.5").file("lib.py", "").build(&context.dir);
    let lib = WheelBuilder::new("lib", "2.1")
        .file("lib.py", "")
        .requires("speedup; extra == 'fast'")
        .requires("docs-only; extra == 'docs'")
        .build(&context.dir);
    let speedup = WheelBuilder::new("speedup", "0.1").file("speedup.py", "").build(&context.dir);

    let fail = |args: &[&str]| {
        let output = context.pex_rs().arg("build").args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?} should fail");
        assert!(!context.dir.join("app.pex").exists());
        String::from_utf8(output.stderr).unwrap()
    };
    // `--no-transitive`: the given wheels alone, as they are (without it, what they miss is
    // resolved from the index; see `resolve.rs`).
    let stderr = fail(&[app.as_str(), "--no-transitive", "-o", "app.pex"]);
    assert_eq!(
        stderr,
        "error: `app-1.0-py3-none-any.whl` requires `lib>=2`, which none of the given wheels provides\n  hint: add a wheel of `lib`\n"
    );
    let stderr = fail(&[app.as_str(), old_lib.as_str(), "--no-transitive", "-o", "app.pex"]);
    assert_eq!(
        stderr,
        "error: `app-1.0-py3-none-any.whl` requires `lib>=2`, but the given wheel is version 1.5\n  hint: give a wheel that satisfies it\n"
    );
    // The `fast` extra of `lib` pulls in `speedup`; the `docs` extra is not requested.
    let stderr = fail(&[app.as_str(), lib.as_str(), "--no-transitive", "-o", "app.pex"]);
    assert!(stderr.contains("`lib-2.1-py3-none-any.whl` requires `speedup ; extra == 'fast'`"), "{stderr}");
    let stderr = fail(&[app.as_str(), lib.as_str(), old_lib.as_str(), speedup.as_str(), "-o", "app.pex"]);
    assert!(stderr.starts_with("error: two versions of `lib` were given"), "{stderr}");

    context.build(&[
        app.as_str(),
        lib.as_str(),
        speedup.as_str(),
        "--python",
        python3().path.to_str().unwrap(),
        "-o",
        "app.pex",
    ]);
    // The interpreter probe is cached for the next build.
    let probes = fs_err::read_dir(context.cache_dir.join("interpreters/v3")).unwrap().count();
    assert_eq!(probes, 1);
}
