//! The hostile archive catalogue: each attack is built by hand, byte by byte where zip writers
//! would refuse to make it, and fed to every reader that could meet it: `pex-rs build` (a
//! wheel, or an sdist), `pex-rs extract` and `pex-rs info` (a PEX) and the first start of a PEX
//! (its boot code). Every one must be refused with one clear line (an `error:` line and its
//! causes, never a traceback or a panic), in bounded memory, with nothing written outside the
//! destination and no install left that a later run would trust. `docs/security.md` lists the
//! attacks and what refuses each.

use std::io::Write as _;
use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};

use crate::support::{TestContext, clean_environment, deflate_run, measured, python3};

/// No reader may use more than this on any attack (peak resident set, in KiB).
const MEMORY_LIMIT_KIB: u64 = 100 * 1024;

/// The name every escaping member aims for: nothing of this name may appear anywhere.
const ESCAPED: &str = "pex-rs-escaped";

/// One zip member, written as given: no name check, no size check.
#[derive(Clone)]
struct Member {
    name: Vec<u8>,
    data: Vec<u8>,
    /// The file type and permissions (`st_mode`): a regular file, or `0o120777` for a symbolic
    /// link whose data is its target.
    mode: u32,
    /// A compressed stream to store instead of `data` (its uncompressed size is `size`).
    deflated: Option<(Vec<u8>, u64)>,
    /// The uncompressed size the headers claim, when it is not the real one.
    claimed_size: Option<u32>,
    /// The central directory's name, when it differs from the local header's.
    directory_name: Option<Vec<u8>>,
}

impl Member {
    fn file(name: impl AsRef<[u8]>, data: impl AsRef<[u8]>) -> Self {
        Self {
            name: name.as_ref().to_vec(),
            data: data.as_ref().to_vec(),
            mode: 0o100_644,
            deflated: None,
            claimed_size: None,
            directory_name: None,
        }
    }

    fn symlink(name: &str, target: &str) -> Self {
        Self { mode: 0o120_777, ..Self::file(name, target) }
    }
}

/// How the archive's structure lies.
#[derive(Clone, Copy, Default)]
struct Layout {
    /// Every central directory entry points at the first local header (overlapping entries,
    /// the "better zip bomb" construction).
    overlapping: bool,
}

/// Writes a zip archive by hand.
fn raw_zip(members: &[Member], layout: Layout) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    let mut offsets = Vec::new();
    for member in members {
        let (method, stored, size): (u16, &[u8], u64) = match &member.deflated {
            Some((stream, size)) => (8, stream, *size),
            None => (0, &member.data, member.data.len() as u64),
        };
        let crc = match &member.deflated {
            Some(_) => 0,
            None => crc32(&member.data),
        };
        let claimed = member.claimed_size.unwrap_or(u32::try_from(size).unwrap_or(u32::MAX));
        let compressed = u32::try_from(stored.len()).unwrap();
        let offset = u32::try_from(out.len()).unwrap();
        offsets.push(offset);
        let local_name = &member.name;
        out.extend_from_slice(b"PK\x03\x04");
        for value in [20u16, 0x0800, method, 0, 0x21] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        for value in [crc, compressed, claimed] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&u16::try_from(local_name.len()).unwrap().to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(local_name);
        out.extend_from_slice(stored);

        let directory_name = member.directory_name.as_ref().unwrap_or(&member.name);
        directory.extend_from_slice(b"PK\x01\x02");
        for value in [0x0314u16, 20, 0x0800, method, 0, 0x21] {
            directory.extend_from_slice(&value.to_le_bytes());
        }
        for value in [crc, compressed, claimed] {
            directory.extend_from_slice(&value.to_le_bytes());
        }
        directory.extend_from_slice(&u16::try_from(directory_name.len()).unwrap().to_le_bytes());
        for value in [0u16, 0, 0, 0] {
            directory.extend_from_slice(&value.to_le_bytes());
        }
        directory.extend_from_slice(&(member.mode << 16).to_le_bytes());
        let pointed = if layout.overlapping { offsets[0] } else { offset };
        directory.extend_from_slice(&pointed.to_le_bytes());
        directory.extend_from_slice(directory_name);
    }
    let directory_offset = u32::try_from(out.len()).unwrap();
    out.extend_from_slice(&directory);
    if members.len() > usize::from(u16::MAX) {
        // The zip64 end record and its locator: the count does not fit the classic record.
        let zip64_end = out.len() as u64;
        out.extend_from_slice(b"PK\x06\x06");
        out.extend_from_slice(&44u64.to_le_bytes());
        for value in [45u16, 45] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&[0; 8]);
        for value in [members.len() as u64, members.len() as u64, directory.len() as u64, u64::from(directory_offset)] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(b"PK\x06\x07");
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&zip64_end.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
    }
    let count = u16::try_from(members.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(b"PK\x05\x06");
    for value in [0u16, 0, count, count] {
        out.extend_from_slice(&value.to_le_bytes());
    }
    out.extend_from_slice(&u32::try_from(directory.len()).unwrap().to_le_bytes());
    out.extend_from_slice(&directory_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn record_digest(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    crate::support::standard_base64(&digest).trim_end_matches('=').replace('+', "-").replace('/', "_")
}

/// The members of the wheel `demo-1.0` plus `extra`, with a RECORD that lists every member
/// whose name is text, with its true digest (so that RECORD is not what refuses the attack).
fn wheel_members(extra: &[Member]) -> Vec<Member> {
    let mut members = vec![
        Member::file("demo/__init__.py", "print('demo ran')\n"),
        Member::file("demo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"),
        Member::file(
            "demo-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
    ];
    members.extend_from_slice(extra);
    let mut record = String::new();
    for member in &members {
        if let Ok(name) = std::str::from_utf8(&member.name) {
            record.push_str(&format!("{name},sha256={},{}\n", record_digest(&member.data), member.data.len()));
        }
    }
    record.push_str("demo-1.0.dist-info/RECORD,,\n");
    members.push(Member::file("demo-1.0.dist-info/RECORD", record));
    members
}

/// The readers an attack can meet.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Reader {
    /// `pex-rs build demo-1.0-py3-none-any.whl`
    BuildWheel,
    /// `pex-rs info hostile.pex`
    Info,
    /// `pex-rs extract hostile.pex`
    Extract,
    /// `python3 hostile.pex`: the boot code's first start
    FirstStart,
    /// `pex-rs build demo-1.0.tar.gz`: source builds unpack it
    BuildSdist,
}

/// Feeds `bytes` to `reader` in a fresh context and checks the refusal: returns the peak
/// memory, or what was wrong. `interpreter_refuses`: the interpreter itself refuses the archive
/// before any pex-rs code runs (its zipimport reads the archive to find `__main__.py`), in its
/// own words; the rest of the checks still hold.
fn refused_by(attack: &str, reader: Reader, bytes: &[u8], interpreter_refuses: bool) -> Result<u64, String> {
    let context = TestContext::new();
    let input = match reader {
        Reader::BuildWheel => "demo-1.0-py3-none-any.whl",
        Reader::BuildSdist => "demo-1.0.tar.gz",
        Reader::Info | Reader::Extract | Reader::FirstStart => "hostile.pex",
    };
    let inputs = context.dir.join("in");
    fs_err::create_dir_all(&inputs).unwrap();
    fs_err::write(inputs.join(input), bytes).unwrap();
    let input = format!("in/{input}");
    let command = match reader {
        Reader::BuildWheel | Reader::BuildSdist => {
            let mut command = context.pex_rs();
            command.args(["build", "--no-index", &input, "-o", "out/app.pex"]);
            command
        }
        Reader::Info => {
            let mut command = context.pex_rs();
            command.args(["info", &input]);
            command
        }
        Reader::Extract => {
            let mut command = context.pex_rs();
            command.args(["extract", &input]).env("PEX_ROOT", &context.pex_root);
            command
        }
        Reader::FirstStart => {
            let mut command = Command::new(&python3().path);
            command.arg(&input).current_dir(&context.dir);
            clean_environment(&mut command);
            command.env("PEX_ROOT", &context.pex_root);
            command
        }
    };
    let outcome = measured(&command);
    let what = format!("{attack} fed to {reader:?}");
    if outcome.success {
        return Err(format!("{what} was accepted:\n{}", outcome.stderr));
    }
    let mut lines = outcome.stderr.lines();
    let first = lines.next().unwrap_or_default();
    let one_line = (first.starts_with("error: ") || first.starts_with("pex-rs: error: "))
        && lines.all(|line| line.starts_with("  caused by: ") || line.starts_with("  hint: "));
    if !(one_line || interpreter_refuses && reader == Reader::FirstStart) {
        return Err(format!("{what} is not refused with one clear line:\n{}", outcome.stderr));
    }
    if outcome.peak_kib >= MEMORY_LIMIT_KIB {
        return Err(format!("{what} took {} KiB", outcome.peak_kib));
    }
    assert_nothing_escaped(&what, &context.dir);
    assert!(!context.dir.join("out/app.pex").exists(), "{what} left an output");
    assert_no_install(&what, &context.pex_root);
    Ok(outcome.peak_kib)
}

/// An attack: its name, the readers it is fed to with the bytes each gets, and whether the
/// interpreter itself refuses it at a first start (see [`refused_by`]).
type Attack<'a> = (&'a str, Vec<(Reader, Vec<u8>)>, bool);

/// Runs every attack against its readers, and fails with the list of what was not refused as
/// it must be; notes the count and the worst peak memory.
fn run_catalogue(attacks: Vec<Attack<'_>>) {
    let (mut count, mut worst, mut failures) = (0, (0, String::new()), Vec::new());
    for (attack, inputs, interpreter_refuses) in attacks {
        for (reader, bytes) in inputs {
            count += 1;
            match refused_by(attack, reader, &bytes, interpreter_refuses) {
                Ok(peak) if peak > worst.0 => worst = (peak, format!("{attack} fed to {reader:?}")),
                Ok(_) => {}
                Err(failure) => failures.push(failure),
            }
        }
    }
    assert!(failures.is_empty(), "{} of {count} refusals failed:\n\n{}", failures.len(), failures.join("\n\n"));
    let _ = writeln!(
        std::io::stderr(),
        "note: {count} attacks x readers refused; peak memory {} KiB ({})",
        worst.0,
        worst.1
    );
}

/// Nothing named [`ESCAPED`] anywhere under `dir` (the attacks aim there) or in the system's
/// temporary directory (the absolute-path attacks).
fn assert_nothing_escaped(what: &str, dir: &Utf8Path) {
    assert!(!std::env::temp_dir().join(ESCAPED).exists(), "{what} wrote {ESCAPED} to the temporary directory");
    let mut pending = vec![dir.parent().unwrap().to_owned()];
    let mut depth_one = true;
    while let Some(directory) = pending.pop() {
        let Ok(entries) = fs_err::read_dir(&directory) else { continue };
        for entry in entries {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(!name.contains(ESCAPED), "{what} wrote {}", entry.path().display());
            // Below the shared temporary directory, only this test's own directory is walked.
            let path = Utf8PathBuf::try_from(entry.path()).unwrap();
            if entry.file_type().unwrap().is_dir() && (!depth_one || path == dir) {
                pending.push(path);
            }
        }
        depth_one = false;
    }
}

/// No install in `pex_root` that a later run would trust.
fn assert_no_install(what: &str, pex_root: &Utf8Path) {
    for bucket in ["installed_wheels/v1", "user_code/v1", "venvs/v1"] {
        if let Ok(entries) = fs_err::read_dir(pex_root.join(bucket)) {
            // Lock files and unfinished work are dot-named; only a named entry is trusted.
            let names: Vec<_> = entries
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|name| !name.starts_with('.'))
                .collect();
            assert!(names.is_empty(), "{what} left {bucket}: {names:?}");
        }
    }
}

/// A PEX of the wheel `demo-1.0` whose wheel carries `extra` members too (under its
/// `.deps/` directory), everything else as pex-rs built it.
fn pex_with(extra: &[Member], layout: Layout) -> Vec<u8> {
    let (mut members, _) = genuine_pex_members();
    for member in extra {
        let mut name = b".deps/demo-1.0-py3-none-any.whl/".to_vec();
        name.extend_from_slice(&member.name);
        members.insert(0, Member { name, ..member.clone() });
    }
    raw_zip(&members, layout)
}

/// The genuine PEX's members, read back: (name, bytes) in archive order.
fn genuine_pex_members() -> (Vec<Member>, Vec<u8>) {
    let context = TestContext::new();
    let wheel = context.dir.join("demo-1.0-py3-none-any.whl");
    fs_err::write(&wheel, raw_zip(&wheel_members(&[]), Layout::default())).unwrap();
    context.build(&[wheel.as_str(), "--no-compile", "-o", "genuine.pex"]);
    let bytes = fs_err::read(context.dir.join("genuine.pex")).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
    let mut members = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).unwrap();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        members.push(Member::file(entry.name().unwrap().as_bytes(), data));
    }
    (members, bytes)
}

/// A PEX whose manifest is `pex_info` (the stream of a deflated member), in its PEX-INFO and
/// in its `__main__.py`'s `boot(...)` line, so that every reader meets it.
fn pex_with_manifest(pex_info: &Member) -> Vec<u8> {
    let (mut members, _) = genuine_pex_members();
    for member in &mut members {
        if member.name == b"PEX-INFO" {
            *member = Member { name: b"PEX-INFO".to_vec(), ..pex_info.clone() };
        } else if member.name == b"__main__.py" {
            let text = String::from_utf8(member.data.clone()).unwrap();
            let boot = text.trim_end().rsplit_once('\n').unwrap().0;
            let literal = if pex_info.deflated.is_some() {
                "\"\"".to_owned() // the stream is not text this test can quote
            } else {
                serde_json::to_string(&String::from_utf8_lossy(&pex_info.data)).unwrap()
            };
            member.data = format!("{boot}\nboot({literal})\n").into_bytes();
        }
    }
    raw_zip(&members, Layout::default())
}

/// A member that aims outside its destination.
fn escaping(name: &str) -> Member {
    Member::file(name.replace("ESCAPED", ESCAPED), "print('escaped')\n")
}

/// The member attacks: each is one or more members added to an otherwise valid wheel.
fn member_attacks() -> Vec<(&'static str, Vec<Member>)> {
    let temp = std::env::temp_dir();
    let absolute = format!("{}/ESCAPED", temp.display());
    vec![
        ("zip-slip (`../`)", vec![escaping("../../ESCAPED")]),
        ("a member inside then out (`demo/../../`)", vec![escaping("demo/../../ESCAPED")]),
        ("an absolute path", vec![escaping(&absolute)]),
        ("a drive letter", vec![escaping("C:ESCAPED")]),
        ("backslashes", vec![escaping("..\\..\\ESCAPED")]),
        ("a NUL in a name", vec![Member::file("demo/a\0.py", "")]),
        ("a control character in a name", vec![Member::file("demo/a\x1b[2J.py", "")]),
        ("a C1 control character in a name", vec![Member::file("demo/a\u{85}.py", "")]),
        ("a name that is not UTF-8", vec![Member::file(b"demo/\xff\xfe.py".as_slice(), "")]),
        ("an overlong name", vec![Member::file(format!("demo/{}.py", "a".repeat(65_000)), "")]),
        (
            "the same name twice",
            vec![Member::file("demo/twice.py", "A = 1\n"), Member::file("demo/twice.py", "A = 2\n")],
        ),
        (
            "names differing only by case",
            vec![Member::file("demo/Case.py", "A = 1\n"), Member::file("demo/case.py", "A = 2\n")],
        ),
        (
            "names differing only by Unicode normalisation",
            vec![Member::file("demo/caf\u{e9}.py", "A = 1\n"), Member::file("demo/cafe\u{301}.py", "A = 2\n")],
        ),
        ("a symbolic link pointing out", vec![Member::symlink("demo/link", "../../../../etc/passwd")]),
        (
            "a file and a directory of the same name",
            vec![Member::file("demo/x", "file\n"), Member::file("demo/x/y.py", "")],
        ),
    ]
}

#[test]
fn member_attacks_are_refused_by_every_reader() {
    let attacks = member_attacks()
        .into_iter()
        .map(|(attack, extra)| {
            let wheel = raw_zip(&wheel_members(&extra), Layout::default());
            let pex = pex_with(&extra, Layout::default());
            // zipimport refuses a name that says it is UTF-8 and is not.
            let interpreter_refuses = extra.iter().any(|member| std::str::from_utf8(&member.name).is_err());
            let inputs = vec![(Reader::BuildWheel, wheel), (Reader::Extract, pex.clone()), (Reader::FirstStart, pex)];
            (attack, inputs, interpreter_refuses)
        })
        .collect();
    run_catalogue(attacks);
}

/// A member of `size` bytes of zeros, deflated by hand, whose CRC is wrong (the readers find
/// that out only after reading all of it).
fn zeros(name: &str, size: usize) -> Member {
    Member { deflated: Some((deflate_run(&[0], size - 1, &[]), size as u64)), ..Member::file(name, "") }
}

#[test]
fn archive_attacks_are_refused_by_every_reader() {
    const GIGABYTE: usize = 1 << 30;
    let pex_readers =
        |pex: Vec<u8>| vec![(Reader::Info, pex.clone()), (Reader::Extract, pex.clone()), (Reader::FirstStart, pex)];
    let both = |extra: &[Member], layout: Layout| {
        let mut inputs = vec![(Reader::BuildWheel, raw_zip(&wheel_members(extra), layout))];
        let pex = pex_with(extra, layout);
        inputs.extend([(Reader::Extract, pex.clone()), (Reader::FirstStart, pex)]);
        inputs
    };
    let (genuine_members, genuine) = genuine_pex_members();
    let wheel = raw_zip(&wheel_members(&[]), Layout::default());
    let mut many = genuine_members.clone();
    many.extend((0..1_000_000).map(|index| Member::file(format!("m{index}"), "")));
    let mut nested = "[".repeat(100_000);
    nested.push_str(&"]".repeat(100_000));
    let huge_manifest = Member {
        deflated: Some((deflate_run(b"{\"x\": \"a", 100 << 20, b"\"}"), (100 << 20) + 9)),
        ..Member::file("PEX-INFO", "")
    };
    let mut renamed = wheel_members(&[]);
    renamed[0].directory_name = Some(b"demo/other.py".to_vec());
    let mut renamed_pex = genuine_members.clone();
    renamed_pex.iter_mut().find(|member| member.name.starts_with(b".deps/")).unwrap().directory_name =
        Some(b".deps/demo-1.0-py3-none-any.whl/demo/other.py".to_vec());
    let lie = Member { claimed_size: Some(u32::MAX - 1), ..Member::file("demo/lie.py", "A = 1\n") };
    let attacks: Vec<Attack<'_>> = vec![
        (
            "a RECORD listing a path outside",
            vec![(Reader::BuildWheel, {
                let mut members = wheel_members(&[]);
                let record = members.last_mut().unwrap();
                record.data.extend_from_slice(format!("../../{ESCAPED},sha256=AAAA,4\n").as_bytes());
                raw_zip(&members, Layout::default())
            })],
            false,
        ),
        ("a zip bomb by ratio (6 MB to 1 GB)", both(&[zeros("demo/bomb.txt", GIGABYTE)], Layout::default()), false),
        ("a zip bomb by size (a member claims 4 GB)", both(&[lie], Layout::default()), false),
        (
            "a zip bomb by entry count (10^6)",
            {
                let mut inputs = pex_readers(raw_zip(&many, Layout::default()));
                let mut members = wheel_members(&[]);
                members.extend((0..1_000_000).map(|index| Member::file(format!("demo/m{index}"), "")));
                inputs.push((Reader::BuildWheel, raw_zip(&members, Layout::default())));
                inputs
            },
            true,
        ),
        // zipimport reads `__main__.py`'s local header itself, and refuses one that disagrees.
        ("overlapping local headers", both(&[], Layout { overlapping: true }), true),
        (
            "a central directory that disagrees with a local header",
            vec![
                (Reader::BuildWheel, raw_zip(&renamed, Layout::default())),
                (Reader::Extract, raw_zip(&renamed_pex, Layout::default())),
                (Reader::FirstStart, raw_zip(&renamed_pex, Layout::default())),
            ],
            false,
        ),
        (
            "a truncated archive",
            {
                let mut inputs = pex_readers(genuine[..genuine.len() * 2 / 3].to_vec());
                inputs.push((Reader::BuildWheel, wheel[..wheel.len() - 30].to_vec()));
                inputs
            },
            true,
        ),
        ("a PEX-INFO of 100 MB", pex_readers(pex_with_manifest(&huge_manifest)), false),
        ("deeply nested JSON", pex_readers(pex_with_manifest(&Member::file("PEX-INFO", nested))), false),
    ];
    run_catalogue(attacks);
}

/// A gzipped tar of `members` (name, type flag, link target, contents), with a `PKG-INFO` first.
fn sdist(members: &[(&str, u8, &str, &[u8])]) -> Vec<u8> {
    let pkg_info: &[u8] = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n";
    let mut all = vec![("demo-1.0/PKG-INFO", 0, "", pkg_info)];
    all.extend_from_slice(members);
    crate::projects::raw_tar_gz(&all)
}

/// A `.tar.gz` sdist holding one file of 1 GiB of zeros: about 1 MB, written by hand.
fn sdist_bomb() -> Vec<u8> {
    let pkg_info = sdist(&[]);
    let mut tar = flate2::read::GzDecoder::new(pkg_info.as_slice());
    let mut header = Vec::new();
    std::io::Read::read_to_end(&mut tar, &mut header).unwrap();
    header.truncate(1024); // the PKG-INFO member: its header and its one block
    let mut bomb = [0u8; 512];
    bomb[..17].copy_from_slice(b"demo-1.0/bomb.txt");
    bomb[100..107].copy_from_slice(b"0000644");
    bomb[124..135].copy_from_slice(format!("{:011o}", 1u64 << 30).as_bytes());
    bomb[156] = b'0';
    bomb[257..263].copy_from_slice(b"ustar\0");
    bomb[148..156].copy_from_slice(b"        ");
    let checksum: u32 = bomb.iter().map(|byte| u32::from(*byte)).sum();
    bomb[148..155].copy_from_slice(format!("{checksum:06o}\0").as_bytes());
    header.extend_from_slice(&bomb);
    let mut gzip = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    gzip.extend(deflate_run(&header, (1 << 30) + 1024, &[]));
    gzip.extend_from_slice(&[0; 8]); // a wrong CRC: the reader must stop long before it
    gzip
}

#[test]
fn sdist_attacks_are_refused() {
    let setup: &[u8] = b"from setuptools import setup\nsetup()\n";
    let pieces: Vec<(&str, Vec<u8>)> = vec![
        (
            "zip-slip (`../`)",
            sdist(&[("demo-1.0/setup.py", 0, "", setup), ("demo-1.0/../../pex-rs-escaped", 0, "", b"x")]),
        ),
        ("an absolute path", sdist(&[("/tmp/pex-rs-escaped", 0, "", b"x")])),
        ("a control character in a name", sdist(&[("demo-1.0/a\x1b[2J", 0, "", b"x")])),
        ("a symbolic link pointing out", sdist(&[("demo-1.0/link", 2, "../../../../etc", b"")])),
        ("a hard link pointing out", sdist(&[("demo-1.0/link", 1, "../../../../etc/passwd", b"")])),
        ("a device file", sdist(&[("demo-1.0/null", 3, "", b"")])),
        ("the same name twice", sdist(&[("demo-1.0/a", 0, "", b"1"), ("demo-1.0/a", 0, "", b"2")])),
        (
            "a file and a directory of the same name",
            sdist(&[("demo-1.0/x", 0, "", b"1"), ("demo-1.0/x/y", 0, "", b"2")]),
        ),
        ("a truncated archive", {
            let whole = sdist(&[("demo-1.0/setup.py", 0, "", &[b'#'; 100_000])]);
            whole[..whole.len() / 2].to_vec()
        }),
        ("a decompression bomb (1 MB to 1 GiB)", sdist_bomb()),
    ];
    run_catalogue(
        pieces.into_iter().map(|(attack, bytes)| (attack, vec![(Reader::BuildSdist, bytes)], false)).collect(),
    );
}

#[test]
fn entry_points_with_paths_are_refused_or_never_written() {
    let attacks = [
        ("a script name with a path", "[console_scripts]\n../../pex-rs-escaped = demo:main\n"),
        ("a script module with path separators", "[console_scripts]\nevil = ../../pex-rs-escaped:main\n"),
    ];
    for (attack, text) in attacks {
        let extra = [Member::file("demo-1.0.dist-info/entry_points.txt", text)];
        // The builder refuses the wheel.
        run_catalogue(vec![(
            attack,
            vec![(Reader::BuildWheel, raw_zip(&wheel_members(&extra), Layout::default()))],
            false,
        )]);
        // A PEX made elsewhere installs, and its runtime never writes the script.
        let pex = pex_with(&extra, Layout::default());
        let context = TestContext::new();
        fs_err::write(context.dir.join("hostile.pex"), &pex).unwrap();
        let mut command = Command::new(&python3().path);
        command.arg("hostile.pex").current_dir(&context.dir);
        clean_environment(&mut command);
        let output = command.env("PEX_ROOT", &context.pex_root).output().unwrap();
        assert!(output.status.success(), "{attack}: {}", String::from_utf8_lossy(&output.stderr));
        assert_nothing_escaped(attack, &context.dir);
    }
}

#[test]
fn member_names_are_judged_alike_by_the_builder_and_the_boot_code() {
    // One corpus, two implementations of the rule: pexcore's `enclosed` and boot.py's
    // `_bad_name` (as `_files_of` applies it: a directory's trailing `/` dropped first).
    let fuzz = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut names: Vec<String> = [
        "a",
        "a/b.py",
        "a/",
        "a//",
        "/a",
        "//a",
        "a/../b",
        "../a",
        "./a",
        "a/.",
        "a/./b",
        ".a",
        "a..b",
        "...",
        "C:a",
        "c:\\a",
        "a\\b",
        "a:b",
        "\u{e9}:b",
        "a\0b",
        "a\u{7f}",
        "a\u{85}b",
        "a\u{9f}",
        "a\u{a0}b",
        "a\u{2028}b",
        "\u{feff}a",
        "a\tb",
        "a\nb",
        "",
        "/",
        "a/b/",
        "a/ b",
        " a",
        "a ",
    ]
    .map(str::to_owned)
    .to_vec();
    // File systems take components of up to 255 bytes.
    names.extend([
        "a".repeat(255),
        "a".repeat(256),
        format!("d/{}", "\u{e9}".repeat(128)),
        format!("d/{}", "\u{e9}".repeat(127)),
    ]);
    for dir in [fuzz.join("seeds/member_name"), fuzz.join("corpus/member_name")] {
        let Ok(entries) = fs_err::read_dir(&dir) else { continue };
        for entry in entries {
            if let Ok(name) = String::from_utf8(fs_err::read(entry.unwrap().path()).unwrap()) {
                names.push(name);
            }
        }
    }
    let boot = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("../pexcore/src/boot/runner.py");
    let script = "import json, runpy, sys\n\
        boot = runpy.run_path(sys.argv[1])\n\
        names = json.load(sys.stdin)\n\
        ok = [boot['_bad_name'](n[:-1] if n.endswith('/') else n) is None for n in names]\n\
        json.dump(ok, sys.stdout)\n";
    let mut child = Command::new(&python3().path)
        .args(["-c", script, boot.as_str()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(serde_json::to_string(&names).unwrap().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let boot_accepts: Vec<bool> = serde_json::from_slice(&output.stdout).unwrap();
    let differences: Vec<_> = names
        .iter()
        .zip(boot_accepts)
        .filter(|(name, boot)| pexcore::enclosed(name).is_some() != *boot)
        .map(|(name, boot)| format!("{name:?}: boot.py {}", if boot { "accepts" } else { "refuses" }))
        .collect();
    assert!(
        differences.is_empty(),
        "the two rules differ on {} of {} names:\n{}",
        differences.len(),
        names.len(),
        differences.join("\n")
    );
}
