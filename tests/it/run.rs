use crate::support::{Python, TestContext, WheelBuilder, compile_extension, python3, pythons, stdout_of, write_file};
use camino::Utf8PathBuf;

/// A PEX project: a dependency wheel with a console script, a data script and a `.pth` file,
/// two wheels sharing a PEP 420 namespace package, and user code with a package.
struct Project {
    context: TestContext,
    wheels: Vec<Utf8PathBuf>,
}

impl Project {
    fn new() -> Self {
        let context = TestContext::new();
        let dir = context.dir.clone();
        let wheels = vec![
            WheelBuilder::new("greet", "1.0")
                .file("greet/__init__.py", "import os\nHERE = os.path.dirname(__file__)\ndef hello(name):\n    return 'hello ' + name\n")
                .file("greet/cli.py", "import sys\nfrom greet import hello\ndef main():\n    print(hello(' '.join(sys.argv[1:]) or 'world'))\n    return 3\n")
                .file("greet-1.0.data/scripts/greet-data", "#!python\nimport sys\nprint('data script', sys.argv[1:])\n")
                .file("greet_path_hook.pth", "import os; os.environ['GREET_PTH'] = 'ran'\n")
                .console_script("greet", "greet.cli:main")
                .build(&dir),
            WheelBuilder::new("ns-one", "1.0").file("nspkg/one.py", "NAME = 'one'\n").build(&dir),
            WheelBuilder::new("ns-two", "1.0").file("nspkg/two.py", "NAME = 'two'\n").build(&dir),
        ];
        write_file(&dir, "src/app/__init__.py", "");
        write_file(
            &dir,
            "src/app/__main__.py",
            "import os, sys\nimport greet, nspkg.one, nspkg.two\nprint('main', sys.argv[1:], nspkg.one.NAME, nspkg.two.NAME)\n\
             print('file', os.path.isfile(__file__), os.path.isfile(greet.__file__))\n",
        );
        write_file(&dir, "src/app/cli.py", "import sys\ndef run():\n    print('run', sys.argv[1:])\n    return 0\n");
        write_file(
            &dir,
            "src/show_env.py",
            "import os, sys\nprint('PEX=' + os.environ.get('PEX', ''))\n\
             print('PEX_VARS=' + ','.join(sorted(k for k in os.environ if k.startswith('PEX_'))))\n\
             print('PTH=' + os.environ.get('GREET_PTH', ''))\n",
        );
        Self { context, wheels }
    }

    fn build(&self, output: &str, extra: &[&str]) -> Utf8PathBuf {
        let mut args: Vec<&str> = self.wheels.iter().map(|wheel| wheel.as_str()).collect();
        args.extend(["-D", "src", "-o", output]);
        args.extend_from_slice(extra);
        self.context.build(&args);
        self.context.dir.join(output)
    }

    fn run(&self, python: &Python, pex: &Utf8PathBuf, args: &[&str]) -> String {
        stdout_of(&self.context.run_pex(python, pex, args))
    }
}

#[test]
fn entry_points_run_under_every_python() {
    let project = Project::new();
    let module = project.build("module.pex", &["-e", "app"]);
    let function = project.build("function.pex", &["-e", "app.cli:run"]);
    let script = project.build("script.pex", &["-c", "greet"]);
    let data_script = project.build("data-script.pex", &["-c", "greet-data"]);
    for python in pythons() {
        let text = project.run(python, &module, &["a", "b"]);
        assert_eq!(text, "main ['a', 'b'] one two\nfile True True\n", "{}", python.name);
        assert_eq!(project.run(python, &function, &["x"]), "run ['x']\n", "{}", python.name);
        let output = project.context.run_pex(python, &script, &["pex"]);
        assert_eq!(output.status.code(), Some(3), "the function's return value is the exit code");
        assert_eq!(String::from_utf8_lossy(&output.stdout), "hello pex\n", "{}", python.name);
        assert_eq!(project.run(python, &data_script, &["z"]), "data script ['z']\n", "{}", python.name);
    }
}

#[test]
fn the_pex_is_executable_through_its_shebang() {
    let project = Project::new();
    let shebang = format!("--python-shebang={}", python3().path.display());
    let pex = project.build("app.pex", &["-e", "app.cli:run", &shebang]);
    let mut command = std::process::Command::new(&pex);
    crate::support::clean_environment(&mut command);
    let output = command.arg("direct").env("PEX_ROOT", &project.context.pex_root).output().unwrap();
    assert_eq!(stdout_of(&output), "run ['direct']\n");
}

#[test]
fn without_an_entry_point_the_pex_is_the_interpreter() {
    let project = Project::new();
    let pex = project.build("interpreter.pex", &[]);
    write_file(&project.context.dir, "script.py", "import sys, greet\nprint('script', sys.argv)\n");
    for python in pythons() {
        let text = project.run(python, &pex, &["-c", "import sys, greet; print(greet.hello('c'), sys.argv)", "x"]);
        assert_eq!(text, "hello c ['-c', 'x']\n", "{}", python.name);
        let text = project.run(python, &pex, &["script.py", "y"]);
        assert_eq!(text, "script ['script.py', 'y']\n", "{}", python.name);
        let text = project.run(python, &pex, &["-m", "app.cli"]);
        assert_eq!(text, "", "{}: `-m` runs the module as __main__", python.name);
        let mut child = project
            .context
            .pex_command(python, &pex)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"import nspkg.two\nprint('stdin', nspkg.two.NAME)\n")
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert_eq!(stdout_of(&output), "stdin two\n", "{}", python.name);
    }
}

#[test]
fn environment_variables_steer_the_pex() {
    let project = Project::new();
    let pex = project.build("env.pex", &["-e", "app"]);
    let python = python3();
    let run_with = |variables: &[(&str, &str)], args: &[&str]| {
        let mut command = project.context.pex_command(python, &pex);
        command.args(args).envs(variables.iter().copied());
        stdout_of(&command.output().unwrap())
    };
    // PEX is set to the PEX's path; PEX_* variables are stripped; wheel .pth files ran.
    let text = run_with(&[("PEX_MODULE", "show_env"), ("PEX_VERBOSE", "0")], &[]);
    assert_eq!(text, format!("PEX={pex}\nPEX_VARS=\nPTH=ran\n"));
    assert_eq!(run_with(&[("PEX_MODULE", "app.cli:run")], &["m"]), "run ['m']\n");
    let mut command = project.context.pex_command(python, &pex);
    let output = command.env("PEX_SCRIPT", "greet").arg("s").output().unwrap();
    assert_eq!((output.status.code(), String::from_utf8_lossy(&output.stdout).as_ref()), (Some(3), "hello s\n"));
    assert_eq!(run_with(&[("PEX_INTERPRETER", "1")], &["-c", "print('interp')"]), "interp\n");

    // Without stripping, the application sees the variables.
    let keep = project.build("keep.pex", &["-e", "show_env", "--no-strip-pex-env"]);
    let mut command = project.context.pex_command(python, &keep);
    let text = stdout_of(&command.env("PEX_EXTRA_FLAG", "1").output().unwrap());
    assert!(text.contains("PEX_VARS=PEX_EXTRA_FLAG,PEX_ROOT"), "{text}");

    // PEX_VERBOSE explains what the runtime does on stderr.
    let output = project.context.pex_command(python, &pex).env("PEX_VERBOSE", "1").output().unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("pex-rs: "), "{output:?}");
}

#[test]
fn the_host_site_packages_are_hidden_unless_inherited() {
    // `pip` is installed in the site-packages of every interpreter here, never in the PEX.
    let project = Project::new();
    let isolated = project.build("isolated.pex", &[]);
    let inherit = project.build("inherit.pex", &["--inherit-path", "prefer"]);
    let code = "import importlib.util as u; print(u.find_spec('pip') is not None)";
    // Twice: the first start execs the venv's python, a warm one runs in the process it started.
    for python in pythons().iter().chain(pythons()) {
        assert_eq!(project.run(python, &isolated, &["-c", code]), "False\n", "{}", python.name);
        assert_eq!(project.run(python, &inherit, &["-c", code]), "True\n", "{}", python.name);
    }
}

#[test]
fn native_extension_wheels_load() {
    let context = TestContext::new();
    let python = python3();
    let Some((file_name, library)) = compile_extension(&context.dir, python, "native", 42) else { return };
    let (major, minor) = python.version;
    let tag = format!("cp{major}{minor}-cp{major}{minor}-linux_x86_64");
    let wheel = WheelBuilder::new("native", "1.0").tag(&tag).executable(&file_name, library).build(&context.dir);
    context.build(&[wheel.as_str(), "-o", "native.pex"]);
    let output =
        context.run_pex(python, &context.dir.join("native.pex"), &["-c", "import native; print(native.answer())"]);
    assert_eq!(stdout_of(&output), "42\n");
}

#[test]
fn a_pex_of_70000_entries_runs_under_the_oldest_python() {
    // More than 65,535 entries needs ZIP64, which `zipimport` reads only from Python 3.13 on:
    // the sh header boots through `zipfile` instead.
    let context = TestContext::new();
    let mut builder = WheelBuilder::new("many", "1.0").file("many/__init__.py", "COUNT = 70000\n");
    for index in 0..70_000 {
        builder = builder.file(&format!("many/m{index:05}.py"), "");
    }
    let wheel = builder.build(&context.dir);
    let python = pythons().iter().min_by_key(|python| python.version).unwrap();
    let shebang = format!("--python-shebang={}", python.path.display());
    context.build(&[wheel.as_str(), &shebang, "--no-compile", "-o", "many.pex"]);
    let pex = context.dir.join("many.pex");
    let entries = zip::ZipArchive::new(fs_err::File::open(&pex).unwrap()).unwrap().len();
    assert_eq!(
        entries,
        70_000 + 6 + 6,
        "the modules, `__init__.py`, three dist-info files, `__main__.py`, PEX-INFO and six boot modules"
    );
    let mut command = std::process::Command::new(&pex);
    crate::support::clean_environment(&mut command);
    let output = command
        .args(["-c", "import many, sys; print(many.COUNT, sys.version_info[:2])"])
        .env("PEX_ROOT", &context.pex_root)
        .output()
        .unwrap();
    let (major, minor) = python.version;
    assert_eq!(stdout_of(&output), format!("70000 ({major}, {minor})\n"));
    // `python3.X many.pex` itself: 3.13 and newer read ZIP64; older ones cannot, and run the
    // file as Python source, whose first error is the header's line saying what to do.
    for python in pythons() {
        let output = context.run_pex(python, &pex, &["-c", "import many; print(many.COUNT)"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if python.version >= (3, 13) {
            assert_eq!(stdout_of(&output), "70000\n", "{}", python.name);
        } else {
            assert!(!output.status.success(), "{}", python.name);
            assert!(stderr.contains("Python 3.12 and older cannot read one of over 65535 files: run the PEX as a program, or with Python 3.13 or newer."), "{}: {stderr}", python.name);
            assert!(!stderr.contains("Traceback"), "{}: {stderr}", python.name);
        }
    }
}

#[test]
fn a_python_older_than_the_runtime_gets_one_line() {
    // The runtime needs Python 3.8; an older one still parses the boot code, for this line.
    let context = TestContext::new();
    let wheel = WheelBuilder::new("hello", "1.0").file("hello.py", "print('hello')\n").build(&context.dir);
    context.build(&[wheel.as_str(), "-e", "hello", "-o", "hello.pex"]);
    let pex = context.dir.join("hello.pex");
    let mut tried = 0;
    for name in ["python2.7", "python3.6", "python3.7"] {
        let Some(python) = crate::support::probe(name) else {
            crate::support::skip(
                "a_python_older_than_the_runtime_gets_one_line",
                &format!("`{name}` is not available here"),
            );
            continue;
        };
        tried += 1;
        let output = context.run_pex(&python, &pex, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(
            stderr.starts_with(&format!("pex-rs: error: {pex} needs Python 3.8 or newer, and ")),
            "{name}: {stderr}"
        );
        assert!(stderr.contains("run it as a program"), "{name}: {stderr}");
    }
    if tried > 0 {
        assert!(!context.pex_root.exists(), "the refusal comes before anything is written");
    }
}

#[test]
fn the_installed_environment_behaves_as_a_virtualenv() {
    let project = Project::new();
    let pex = project.build("venv.pex", &[]);
    let code = "import importlib.metadata as m, subprocess, sys\n\
                print(sorted(d.metadata['Name'] for d in m.distributions()))\n\
                print([e.name for e in m.entry_points(group='console_scripts')] if sys.version_info >= (3, 10) else ['greet'])\n\
                print(subprocess.run([sys.executable, '-c', 'import greet; print(greet.hello(\"child\"))'], capture_output=True, text=True).stdout.strip())\n\
                print(sys.prefix != sys.base_prefix)\n";
    for python in pythons() {
        let text = project.run(python, &pex, &["-c", code]);
        assert_eq!(text, "['greet', 'ns-one', 'ns-two']\n['greet']\nhello child\nTrue\n", "{}", python.name);
    }
    // The console script is a program in the environment's bin/.
    let venvs = project.context.pex_root.join("venvs/v1");
    let pex_dir = fs_err::read_dir(&venvs)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| !path.file_name().unwrap().to_string_lossy().starts_with('.'))
        .unwrap();
    // Started as `python app.pex`, not through the sh header: no `sh` link, one environment.
    assert!(!pex_dir.join("sh").exists());
    let venv =
        fs_err::read_dir(&pex_dir).unwrap().map(|entry| entry.unwrap().path()).find(|path| path.is_dir()).unwrap();
    let output = std::process::Command::new(venv.join("bin/greet")).arg("bin").output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "hello bin\n");
}

#[test]
fn pex_python_and_pex_python_path_choose_the_interpreter() {
    let project = Project::new();
    let pex = project.build("choose.pex", &["-e", "app.cli:run"]);
    let code = ["-c", "import sys; print(sys.version_info[:2])"];
    for python in pythons() {
        let (major, minor) = python.version;
        let expected = format!("({major}, {minor})\n");
        let directory = python.path.parent().unwrap();
        let run = |variables: &[(&str, &std::ffi::OsStr)]| {
            let mut command = std::process::Command::new(&pex);
            crate::support::clean_environment(&mut command);
            command.args(code).env("PEX_ROOT", &project.context.pex_root).env("PEX_INTERPRETER", "1");
            stdout_of(&command.envs(variables.iter().copied()).output().unwrap())
        };
        assert_eq!(run(&[("PEX_PYTHON", python.path.as_os_str())]), expected, "{}", python.name);
        assert_eq!(run(&[("PEX_PYTHON_PATH", directory.as_os_str())]), expected, "{}", python.name);
    }
    let mut command = std::process::Command::new(&pex);
    crate::support::clean_environment(&mut command);
    let output =
        command.env("PEX_ROOT", &project.context.pex_root).env("PEX_PYTHON_PATH", "/nonexistent").output().unwrap();
    assert_eq!(output.status.code(), Some(127));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .starts_with("pex-rs: error: no Python interpreter found in PEX_PYTHON_PATH")
    );
}

#[test]
fn a_one_off_interpreter_choice_does_not_change_the_warm_path() {
    let [first, second, ..] = pythons() else {
        let _ = std::io::Write::write_all(&mut std::io::stderr(), b"note: needs two interpreters; skipping\n");
        return;
    };
    let project = Project::new();
    let shebang = format!("--python-shebang={}", first.path.display());
    let pex = project.build("pinned.pex", &["-e", "app.cli:run", &shebang]);
    let version = |variables: &[(&str, &std::ffi::OsStr)]| {
        let mut command = std::process::Command::new(&pex);
        crate::support::clean_environment(&mut command);
        command.args(["-c", "import sys; print(sys.version_info[:2])"]).env("PEX_ROOT", &project.context.pex_root);
        stdout_of(&command.env("PEX_INTERPRETER", "1").envs(variables.iter().copied()).output().unwrap())
    };
    let (major, minor) = second.version;
    assert_eq!(version(&[("PEX_PYTHON", second.path.as_os_str())]), format!("({major}, {minor})\n"));
    let (major, minor) = first.version;
    assert_eq!(version(&[]), format!("({major}, {minor})\n"), "the header's own choice runs");
    assert_eq!(version(&[]), format!("({major}, {minor})\n"), "and stays on the warm path");
}

#[test]
fn a_native_program_as_the_script_runs() {
    // ruff and uv ship their program as a wheel script: a binary, not Python source.
    let context = TestContext::new();
    let Ok(echo) = fs_err::read("/bin/echo") else { return };
    let wheel = WheelBuilder::new("tool", "1.0").executable("tool-1.0.data/scripts/shout", echo).build(&context.dir);
    context.build(&[wheel.as_str(), "-c", "shout", "-o", "tool.pex"]);
    let output = context.run_pex(python3(), &context.dir.join("tool.pex"), &["native", "program"]);
    assert_eq!(stdout_of(&output), "native program\n");
}

#[test]
fn pex_rs_run_reuses_refreshes_and_passes_arguments() {
    use crate::index_server::{IndexServer, ServedFile};
    let tool = WheelBuilder::new("tool", "1.0")
        .file("tool.py", "import sys\ndef main():\n    print('args', sys.argv[1:])\n    return int(sys.argv[1]) if sys.argv[1:] else 0\nANSWER = 42\n")
        .console_script("tool", "tool:main");
    let server = IndexServer::start(vec![ServedFile::from_wheel(&tool)]);
    let context = TestContext::new();
    let run = |extra: &[&str], args: &[&str]| {
        let mut command = context.pex_rs();
        command.args(["run", "tool", "--index-url", &server.simple_url()]).args(extra).arg("--").args(args);
        crate::support::clean_environment(&mut command);
        command.env("PEX_ROOT", &context.pex_root).env("PEX_RS_CACHE_DIR", &context.cache_dir).output().unwrap()
    };
    let pages = || server.count(|request| request.path.starts_with("/simple/"));
    // The first run builds; the arguments after `--` and the exit code are the script's.
    let first = run(&["-c", "tool"], &["3", "x y"]);
    assert_eq!(first.status.code(), Some(3), "{}", String::from_utf8_lossy(&first.stderr));
    assert_eq!(String::from_utf8_lossy(&first.stdout), "args ['3', 'x y']\n");
    let asked = pages();
    assert!(asked > 0);
    // The same inputs again: the cached PEX, no index asked.
    let second = run(&["-c", "tool"], &[]);
    assert_eq!(stdout_of(&second), "args []\n");
    assert_eq!(pages(), asked, "a fresh run asks no index");
    // Warm (the environment exists, so `run` execs it without the sh header): the same exit code.
    assert_eq!(run(&["-c", "tool"], &["5"]).status.code(), Some(5));
    // `--refresh` resolves again.
    assert_eq!(stdout_of(&run(&["-c", "tool", "--refresh"], &["0"])), "args ['0']\n");
    assert!(pages() > asked, "--refresh asks the index");
    // No entry point: a Python with the requirements importable.
    assert_eq!(stdout_of(&run(&[], &["-c", "import tool; print(tool.ANSWER)"])), "42\n");
    // A module.
    assert_eq!(stdout_of(&run(&["-m", "tool"], &[])), "");
    // Nothing to run: one line saying what to pass.
    let nothing = context.pex_rs().arg("run").output().unwrap();
    let stderr = String::from_utf8_lossy(&nothing.stderr);
    assert!(stderr.starts_with("error: nothing to run\n  hint: give requirements (`pex-rs run black"), "{stderr}");
    let built: Vec<_> = fs_err::read_dir(context.cache_dir.join("runs/v1")).unwrap().collect();
    assert_eq!(built.len(), 3, "one PEX per entry point: script, interpreter, module");
}

#[test]
fn pex_rs_run_reuses_by_the_contents_of_requirements_files() {
    use crate::index_server::{IndexServer, ServedFile};
    let tool = |version: &str| {
        WheelBuilder::new("tool", version)
            .file("tool.py", format!("def main():\n    print('tool {version}')\n"))
            .console_script("tool", "tool:main")
    };
    let server = IndexServer::start(vec![ServedFile::from_wheel(&tool("1.0")), ServedFile::from_wheel(&tool("2.0"))]);
    let context = TestContext::new();
    let requirements = crate::support::write_file(&context.dir, "requirements.txt", "tool==1.0\n");
    let run = || {
        let mut command = context.pex_rs();
        command.args(["run", "-r", requirements.as_str(), "-c", "tool", "--index-url", &server.simple_url()]);
        crate::support::clean_environment(&mut command);
        stdout_of(
            &command.env("PEX_ROOT", &context.pex_root).env("PEX_RS_CACHE_DIR", &context.cache_dir).output().unwrap(),
        )
    };
    let pages = || server.count(|request| request.path.starts_with("/simple/"));
    assert_eq!(run(), "tool 1.0\n");
    let asked = pages();
    assert_eq!(run(), "tool 1.0\n");
    assert_eq!(pages(), asked, "the same requirements file: the cached PEX");
    fs_err::write(&requirements, "tool==2.0\n").unwrap();
    assert_eq!(run(), "tool 2.0\n", "a changed requirements file builds again");
}

#[test]
fn a_warm_python_app_pex_runs_in_its_own_process_as_the_venv_does() {
    // `python app.pex` with a warm venv runs the application in the process it started (boot()
    // execs the venv's python instead when a variable steers the start, PEX_PYTHON here), laid
    // out as the venv's python would have it: the same sys.path (none of the interpreter's own
    // site-packages), sys.executable and sys.prefix, and the wheels' .pth files run.
    let project = Project::new();
    let pex = project.build("app.pex", &[]);
    let code = "import os, subprocess, sys\nprint(sys.executable)\nprint(sys.prefix, sys.exec_prefix)\n\
                print(sys.path)\nprint(os.environ.get('GREET_PTH'))\n\
                print(subprocess.run([sys.executable, '-c', 'import greet; print(greet.hello(\"child\"))'], \
                stdout=subprocess.PIPE, universal_newlines=True).stdout.strip())\n";
    for python in pythons() {
        let run = |steered: bool| {
            let mut command = project.context.pex_command(python, &pex);
            command.args(["-c", code]).env("PEX_VERBOSE", "1");
            if steered {
                command.env("PEX_PYTHON", &python.path);
            }
            let output = command.output().unwrap();
            (stdout_of(&output), String::from_utf8_lossy(&output.stderr).into_owned())
        };
        let (first, first_log) = run(true);
        assert!(first_log.contains("pex-rs: exec "), "{}: boot() execs the venv's python:\n{first_log}", python.name);
        let (warm, warm_log) = run(false);
        assert!(
            !warm_log.contains("pex-rs: exec ") && !warm_log.contains("pex-rs: running "),
            "{}:\n{warm_log}",
            python.name
        );
        assert!(warm_log.contains("pex-rs: runner: PEX "), "{}:\n{warm_log}", python.name);
        assert_eq!(warm, first, "{}", python.name);
        assert!(warm.contains("\nran\nhello child\n"), "{}: {warm}", python.name);
        // The interpreter's own site-packages, not any venv's.
        let own = python.print("__import__('sysconfig').get_paths()['purelib']");
        assert!(!warm.contains(&format!("'{own}")), "{}: {warm}", python.name);
    }
}
