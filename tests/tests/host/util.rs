//! What the host tests share: the built host and plugins, running the host, temporary folders, and building plugin crates outside the workspace.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The workspace root.
pub fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `target/<profile>/`: where the test binary's `deps/` folder is, and where
/// `cargo build --workspace` put netraf-host and the plugin libraries.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(Path::parent)
        .expect("test executable in target/<profile>/deps")
        .to_path_buf()
}

fn built(path: PathBuf) -> PathBuf {
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` before `cargo test --workspace`",
        path.display()
    );
    path
}

/// `target/`: the workspace's target folder, where crates built outside
/// the workspace get folders of their own.
pub fn cargo_target() -> PathBuf {
    target_dir()
        .parent()
        .expect("target/<profile> has a parent")
        .to_path_buf()
}

/// The built netraf-host.
pub fn host() -> PathBuf {
    built(target_dir().join("netraf-host"))
}

/// The built plugin library `lib<name>.so`.
pub fn plugin(name: &str) -> PathBuf {
    built(target_dir().join(format!("lib{name}.so")))
}

/// A plugin for the tests alone (`tests/plugins/`), which `cargo test`
/// builds as an example into `target/<profile>/examples/`.
pub fn test_plugin(name: &str) -> PathBuf {
    let path = target_dir().join("examples").join(format!("lib{name}.so"));
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds it (or `cargo build -p netraf-tests --examples`)",
        path.display()
    );
    path
}

/// Config text with every `"netraf_testkit"` made the test plugin's path.
pub fn with_testkit(config: &str) -> String {
    let path = test_plugin("netraf_testkit");
    config.replace(
        "\"netraf_testkit\"",
        &format!("{:?}", path.display().to_string()),
    )
}

/// A folder removed when dropped, unique per test and process.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "netraf-test-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temporary folder");
        TempDir { path }
    }

    /// Writes `text` to `name` in the folder; returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path.join(name);
        std::fs::write(&path, text).expect("write a test file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// What a finished process said.
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `command` to its end, killing it after `limit`.
pub fn run_bounded(command: Command, limit: Duration) -> Output {
    run_bounded_stdin(command, limit, None)
}

/// Like [`run_bounded`], with standard input read from `stdin` (else empty).
pub fn run_bounded_stdin(mut command: Command, limit: Duration, stdin: Option<&Path>) -> Output {
    let dir = TempDir::new("out");
    let (out, err) = (dir.path.join("stdout"), dir.path.join("stderr"));
    let input = match stdin {
        Some(path) => Stdio::from(std::fs::File::open(path).expect("stdin file")),
        None => Stdio::null(),
    };
    let mut child = command
        .stdin(input)
        .stdout(std::fs::File::create(&out).expect("stdout file"))
        .stderr(std::fs::File::create(&err).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let status = wait_bounded(&mut child, limit, &format!("{command:?}"));
    Output {
        code: status.code(),
        stdout: std::fs::read_to_string(out).unwrap_or_default(),
        stderr: std::fs::read_to_string(err).unwrap_or_default(),
    }
}

/// Waits at most `limit` for `child` (`what` names it) to end; kills it and
/// fails after that.
pub fn wait_bounded(child: &mut Child, limit: Duration, what: &str) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still running after {limit:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `--config CONFIG --report-json REPORT`.
pub fn config_and_report<'a>(config: &'a Path, report: &'a Path) -> [&'a str; 4] {
    let text = |p: &'a Path| p.to_str().expect("test paths are UTF-8");
    ["--config", text(config), "--report-json", text(report)]
}

/// Runs the built netraf-host in `cwd` with `args` (bounded to 60 s).
pub fn run_host(cwd: &Path, args: &[&str]) -> Output {
    run_host_env(cwd, args, &[])
}

/// Like [`run_host`] with extra environment variables (`RUST_LOG` unset otherwise).
pub fn run_host_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(host());
    command
        .current_dir(cwd)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("RUST_BACKTRACE");
    for (k, v) in env {
        command.env(k, v);
    }
    run_bounded(command, Duration::from_secs(60))
}

/// Like [`run_host`], with standard input read from `stdin`.
pub fn run_host_stdin(cwd: &Path, args: &[&str], stdin: &Path) -> Output {
    let mut command = Command::new(host());
    command.current_dir(cwd).args(args).env_remove("RUST_LOG");
    run_bounded_stdin(command, Duration::from_secs(60), Some(stdin))
}

/// Where plugin crates built by the tests live (outside the workspace, so
/// that cargo does not take them for members), one folder per checkout.
pub fn fixtures_src() -> PathBuf {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    workspace_dir().hash(&mut h);
    std::env::temp_dir().join(format!("netraf-fixtures-{:016x}", h.finish()))
}

/// Writes a file only if its content changed (cargo rebuilds on mtimes).
pub fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::create_dir_all(path.parent().expect("file in a folder")).expect("create folder");
        std::fs::write(path, text).expect("write fixture file");
    }
}

/// Builds the crate at `dir` with cargo, offline (the workspace's
/// Cargo.lock pins what it finds), into `target/<folder>/` under the
/// workspace's target, shared by every run (so only the first one compiles
/// abi_stable); returns `target/<folder>/debug`.
pub fn cargo_build_in(dir: &Path, folder: &str) -> PathBuf {
    write_if_changed(
        &dir.join("Cargo.lock"),
        &std::fs::read_to_string(workspace_dir().join("Cargo.lock")).expect("workspace Cargo.lock"),
    );
    let target = cargo_target().join(folder);
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .current_dir(dir)
        .args(["build", "--offline", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .env_remove("RUSTFLAGS");
    let out = run_bounded(command, Duration::from_secs(900));
    assert!(out.ok(), "building {} failed:\n{out}", dir.display());
    target.join("debug")
}

/// [`cargo_build_in`] `netraf-fixtures`; returns `lib<package>.so`.
fn cargo_build(dir: &Path, package: &str) -> PathBuf {
    let lib =
        cargo_build_in(dir, "netraf-fixtures").join(format!("lib{}.so", package.replace('-', "_")));
    built(lib)
}

/// plugin-api's manifest with every `*.workspace = true` replaced by the
/// workspace's value, so that a copy builds outside the workspace.
fn standalone_plugin_api_manifest() -> String {
    let root =
        std::fs::read_to_string(workspace_dir().join("Cargo.toml")).expect("root Cargo.toml");
    let api = std::fs::read_to_string(workspace_dir().join("plugin-api/Cargo.toml"))
        .expect("plugin-api/Cargo.toml");
    let lookup = |table: &str, key: &str| -> Option<String> {
        let start = root.find(&format!("[{table}]\n"))?;
        root[start..]
            .lines()
            .skip(1)
            .take_while(|l| !l.starts_with('['))
            .find(|l| l.split('=').next().map(str::trim) == Some(key))
            .map(str::to_string)
    };
    let mut table = String::new();
    let mut out = String::new();
    for line in api.lines() {
        if line.starts_with('[') {
            table = line.to_string();
        }
        // The workspace's lint policy does not follow the copy out of it.
        if table == "[lints]" {
            continue;
        }
        match line.strip_suffix(".workspace = true") {
            Some(key) if table == "[package]" => {
                if let Some(l) = lookup("workspace.package", key) {
                    out.push_str(&l);
                    out.push('\n');
                }
            }
            Some(key) => {
                let l = lookup("workspace.dependencies", key)
                    .unwrap_or_else(|| panic!("{key} not in [workspace.dependencies]"));
                // A crate of the workspace stays where it is: its path from here.
                let l = l.replace(
                    "path = \"",
                    &format!("path = \"{}/", workspace_dir().display()),
                );
                out.push_str(&l);
                out.push('\n');
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// Builds `tests/fixtures/<fixture>` against a copy of plugin-api whose files
/// went through `change(path under src/, text)`; `variant` names this copy (and the
/// package, so that variants do not overwrite each other's library).
pub fn build_fixture_plugin(
    fixture: &str,
    variant: &str,
    change: impl Fn(&str, String) -> String,
) -> PathBuf {
    let root = fixtures_src().join(format!("{fixture}-{variant}"));
    let api = workspace_dir().join("plugin-api");
    write_if_changed(
        &root.join("plugin-api/Cargo.toml"),
        &change("Cargo.toml", standalone_plugin_api_manifest()),
    );
    // The crate's front page is its README.
    write_if_changed(
        &root.join("plugin-api/README.md"),
        &std::fs::read_to_string(api.join("README.md")).expect("plugin-api/README.md"),
    );
    for file in source_files(&api.join("src"), Path::new("")) {
        let text = std::fs::read_to_string(api.join("src").join(&file)).expect("plugin-api source");
        let name = file.to_string_lossy();
        write_if_changed(
            &root.join("plugin-api/src").join(&file),
            &change(&name, text),
        );
    }
    let fixture = workspace_dir().join("tests/fixtures").join(fixture);
    let manifest = std::fs::read_to_string(fixture.join("Cargo.toml")).expect("fixture manifest");
    let name = manifest
        .lines()
        .find_map(|l| l.strip_prefix("name = "))
        .expect("fixture package name")
        .trim_matches('"');
    let package = format!("{name}-{variant}");
    write_if_changed(
        &root.join("plugin/Cargo.toml"),
        &manifest.replace(
            &format!("name = \"{name}\""),
            &format!("name = \"{package}\""),
        ),
    );
    write_if_changed(
        &root.join("plugin/src/lib.rs"),
        &std::fs::read_to_string(fixture.join("src/lib.rs")).expect("fixture source"),
    );
    cargo_build(&root.join("plugin"), &package)
}

/// The files under `dir`, at any depth, as paths from `dir` (under `prefix`).
fn source_files(dir: &Path, prefix: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("plugin-api source folder") {
        let entry = entry.expect("dir entry");
        let relative = prefix.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            files.extend(source_files(&entry.path(), &relative));
        } else {
            files.push(relative);
        }
    }
    files
}

/// Follows the README's plugin section literally: beside a `netraf/` folder
/// (this checkout), `cp -r netraf/plugin-template my-plugin`, then
/// `cargo build --release` inside it; returns the `my-plugin` folder. Its
/// `target` is shared by every run (so that only the first one compiles
/// abi_stable), and the workspace's Cargo.lock pins what `--offline` finds.
pub fn build_plugin_template() -> PathBuf {
    let root = fixtures_src().join("template");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("template folder");
    std::os::unix::fs::symlink(workspace_dir(), root.join("netraf")).expect("netraf link");
    let copied = Command::new("cp")
        .arg("-r")
        .arg(root.join("netraf/plugin-template"))
        .arg(root.join("my-plugin"))
        .status()
        .expect("run cp");
    assert!(copied.success(), "cp -r netraf/plugin-template my-plugin");
    let plugin = root.join("my-plugin");
    std::fs::copy(
        workspace_dir().join("Cargo.lock"),
        plugin.join("Cargo.lock"),
    )
    .expect("copy Cargo.lock");
    let target = target_dir()
        .parent()
        .expect("target/<profile> has a parent")
        .join("netraf-fixtures");
    std::fs::create_dir_all(&target).expect("fixtures target");
    std::os::unix::fs::symlink(&target, plugin.join("target")).expect("target link");
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .current_dir(&plugin)
        .args(["build", "--release", "--offline", "--quiet"])
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR");
    let out = run_bounded(command, Duration::from_secs(900));
    assert!(out.ok(), "building the plugin template failed:\n{out}");
    built(plugin.join("target/release/libmy_plugin.so"));
    plugin
}
