//! `cargo xtask serve` and `cargo xtask test`: the two commands in the README.
//!
//! Both install what they need when it is missing (the wasm32 target,
//! wasm-bindgen-cli at the exact version in Cargo.lock, the npm packages),
//! build the site (`build_site`: no cargo-leptos needed), and then either
//! start Skillmap with demo data or run every test. Nothing is downloaded
//! from outside the package registries.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("build") => match args.get(1).map(String::as_str) {
            None => prepare().and_then(|_| build_site()),
            Some("--production") => prepare().and_then(|_| build_site_as("production")),
            Some(other) => Err(format!("build: unknown argument {other}; use --production")),
        },
        Some("lint") => lint(),
        Some("setup") => prepare(),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n\
                 serve   build and start Skillmap at http://127.0.0.1:3000 with demo data\n\
                 test    run every test (unit, HTTP, authorization matrix, real browser)\n\
                 lint    cargo fmt --check and clippy -D warnings (server and wasm)\n\
                 build   build the release site only (--production: the deployment's\n\
                 \x20        build, slower to make and about 10% faster to run)\n\
                 setup   install the build tools only"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T = ()> = std::result::Result<T, String>;

/// The checkout to work on: found from the working directory at run time.
/// (A path baked in at compile time would name whichever checkout last
/// built this binary when checkouts share CI's cached target directory.)
fn root() -> PathBuf {
    env::current_dir()
        .ok()
        .and_then(|dir| {
            dir.ancestors()
                .find(|d| {
                    fs::read_to_string(d.join("Cargo.toml"))
                        .is_ok_and(|t| t.contains("[workspace]"))
                })
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("xtask lives in the workspace")
                .to_path_buf()
        })
}

fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// PATH with the npm tools first: wasm-opt comes from npm's binaryen (132);
/// Debian's (108) silently breaks hydration.
fn tool_path() -> OsString {
    let mut paths = vec![root().join("node_modules/.bin"), cargo_home().join("bin")];
    if let Some(p) = env::var_os("PATH") {
        paths.extend(env::split_paths(&p));
    }
    env::join_paths(paths).expect("PATH entries are valid")
}

fn cargo_home() -> PathBuf {
    env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env::var_os("HOME").unwrap_or_default()).join(".cargo"))
}

fn cmd(program: &str) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root()).env("PATH", tool_path());
    c
}

fn run(c: &mut Command) -> Result {
    let shown = format!("{c:?}");
    let started = Instant::now();
    let status = c
        .status()
        .map_err(|e| format!("could not start {shown}: {e}"))?;
    if status.success() {
        eprintln!(
            "xtask: done in {:.0?}: {}",
            started.elapsed(),
            short(&shown)
        );
        Ok(())
    } else {
        Err(format!("failed ({status}): {shown}"))
    }
}

fn short(s: &str) -> String {
    s.chars().take(120).collect()
}

fn output(c: &mut Command) -> Option<String> {
    let out = c.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn prepare() -> Result {
    ensure_wasm_target()?;
    ensure_wasm_bindgen()?;
    ensure_npm_packages()?;
    prepare_assets()
}

fn ensure_wasm_target() -> Result {
    let installed =
        output(cmd("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    eprintln!("xtask: adding the wasm32-unknown-unknown target");
    run(cmd("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// The wasm-bindgen CLI must equal the wasm-bindgen crate in Cargo.lock.
fn ensure_wasm_bindgen() -> Result {
    let lock = fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e} (run `cargo generate-lockfile`)"))?;
    let wanted =
        locked_version(&lock, "wasm-bindgen").ok_or("Cargo.lock has no wasm-bindgen package")?;
    let have = output(cmd("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(wanted.as_str()) {
        return Ok(());
    }
    eprintln!("xtask: installing wasm-bindgen-cli {wanted} (once per machine; about 5 minutes)");
    // Not --locked: one of its locked dependency versions is not in the index.
    run(cmd("cargo").args(["install", "wasm-bindgen-cli", "--version", &wanted]))
}

/// The mail server the notification tests send to: `aiosmtpd` from PyPI,
/// for the machine's python3 (tests/smtp/sink.py).
const AIOSMTPD: &str = "aiosmtpd==1.4.6";

fn ensure_smtp_server() -> Result {
    if cmd("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        return Ok(());
    }
    eprintln!("xtask: installing {AIOSMTPD} from PyPI for the email tests");
    run(cmd("python3").args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        AIOSMTPD,
    ]))
}

fn locked_version(lock: &str, package: &str) -> Option<String> {
    let needle = format!("name = \"{package}\"\n");
    let at = lock.find(&needle)? + needle.len();
    let line = lock[at..].lines().next()?;
    Some(
        line.strip_prefix("version = ")?
            .trim_matches('"')
            .to_string(),
    )
}

fn ensure_npm_packages() -> Result {
    let root = root();
    let stamp = root.join("node_modules/.package-lock.json");
    let fresh = match (
        fs::metadata(&stamp),
        fs::metadata(root.join("package-lock.json")),
    ) {
        (Ok(s), Ok(l)) => s.modified().ok() >= l.modified().ok(),
        _ => false,
    };
    if fresh && root.join("node_modules/.bin/wasm-opt").exists() {
        return Ok(());
    }
    eprintln!(
        "xtask: installing the npm packages (nhsuk-frontend, binaryen, playwright-core, axe-core, oidc-provider)"
    );
    run(cmd("npm").args(["ci", "--no-audit", "--no-fund"]))
}

/// NHS.UK frontend's images (the favicon, icons its stylesheet points to)
/// go into the site's assets. Its stylesheet loads the Frutiger web font
/// from assets.nhs.uk; Skillmap's Content-Security-Policy allows no other
/// origin (and many trust networks block it), so `stylesheet` drops the
/// @font-face rules and the font stack falls back to Arial, as NHS.UK itself
/// does when the font cannot load.
fn prepare_assets() -> Result {
    let root = root();
    let dist = root.join("node_modules/nhsuk-frontend/dist/nhsuk");
    copy_dir(&dist.join("assets"), &root.join("public/assets")).map_err(|e| e.to_string())?;
    stylesheet()
}

fn strip_font_faces(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("@font-face") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => rest = &rest[start + end + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}

/// Builds the site without cargo-leptos (which costs a fresh machine 22
/// minutes to install and brings a JavaScript toolchain and a git client
/// Skillmap never uses): the server, the wasm islands, wasm-bindgen, wasm-opt
/// from npm, one stylesheet (NHS.UK frontend and Skillmap's own), the static
/// assets, then content-hashed names and brotli and gzip copies of every
/// text file, so the server can send them compressed and cached for a year.
/// `cargo leptos build --release` still works for those who have it.
fn build_site() -> Result {
    build_site_as("release")
}

/// `build_site` with the server built in cargo profile `profile` (its
/// binary, and the hashes beside it, in target/<profile>/).
fn build_site_as(profile: &str) -> Result {
    let started = Instant::now();
    let root = root();
    let target = target_dir();
    run(site_env(&mut cmd("cargo")).args([
        "build",
        "--profile",
        profile,
        "-p",
        "skillmap",
        "--bin",
        "skillmap",
    ]))?;
    run(site_env(&mut cmd("cargo")).args([
        "build",
        "--profile",
        "wasm-release",
        "-p",
        "frontend",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
    ]))?;
    let site = target.join("site");
    let pkg = site.join("pkg");
    let stage = target.join("site-stage");
    for dir in [&pkg, &stage] {
        if dir.exists() {
            fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
    }
    fs::create_dir_all(&pkg).map_err(|e| e.to_string())?;
    let wasm_in = target.join("wasm32-unknown-unknown/wasm-release/frontend.wasm");
    run(cmd("wasm-bindgen")
        .args(["--target=web", "--no-typescript", "--out-name=skillmap"])
        .arg(format!("--out-dir={}", stage.display()))
        .arg(&wasm_in))?;
    let wasm = stage.join("skillmap_bg.wasm");
    run(cmd("wasm-opt")
        .args([
            "-Oz",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
        ])
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm))?;
    copy_dir(&root.join("public"), &site).map_err(|e| format!("public/: {e}"))?;
    // Written by `prepare_assets`, which every caller runs first.
    let css_file = target.join("style/skillmap.css");
    let css = fs::read(&css_file).map_err(|e| format!("{}: {e}", css_file.display()))?;
    let js = fs::read(stage.join("skillmap.js")).map_err(|e| e.to_string())?;
    let wasm = fs::read(&wasm).map_err(|e| e.to_string())?;
    let mut hashes = String::new();
    for (kind, bytes) in [("js", &js), ("wasm", &wasm), ("css", &css)] {
        let hash = content_hash(bytes);
        let name = pkg.join(format!("skillmap.{hash}.{kind}"));
        fs::write(&name, bytes).map_err(|e| format!("{}: {e}", name.display()))?;
        hashes.push_str(&format!("{kind}: {hash}\n"));
    }
    // Where Leptos (and `app::ui::assets`) look for it: beside the server
    // binary. A deployment ships the two together.
    fs::write(target.join(profile).join("hash.txt"), &hashes).map_err(|e| e.to_string())?;
    precompress(&site)?;
    eprintln!("xtask: site built in {:.0?}", started.elapsed());
    report_bundle_size(&pkg);
    Ok(())
}

/// Writes target/style/skillmap.css: NHS.UK frontend's stylesheet (its
/// web-font rules dropped: see `prepare_assets`) followed by Skillmap's own,
/// as one file (one request instead of two on a slow connection). The site
/// build hashes it into pkg/; cargo-leptos is pointed at it too.
fn stylesheet() -> Result {
    let root = root();
    let nhsuk = fs::read_to_string(
        root.join("node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css"),
    )
    .map_err(|e| format!("nhsuk-frontend stylesheet: {e}"))?;
    let own = fs::read_to_string(root.join("style/main.css"))
        .map_err(|e| format!("style/main.css: {e}"))?;
    let css = format!("{}\n{own}", strip_font_faces(&nhsuk));
    let out = target_dir().join("style");
    fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    fs::write(out.join("skillmap.css"), css).map_err(|e| e.to_string())
}

/// 64-bit FNV-1a of the content, as 16 hex digits: a new name whenever the
/// bytes change, so a year-long cache never serves a stale file.
fn content_hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Brotli (quality 11) and gzip (level 9) copies beside every text file in
/// the site, made once here so the server only picks one
/// (`ServeDir::precompressed_br`). Node's zlib does it: Node is already
/// needed for the npm tools, and its brotli is native code.
fn precompress(site: &Path) -> Result {
    const SCRIPT: &str = r#"
const fs = require('fs'), path = require('path'), zlib = require('zlib');
const text = /\.(js|wasm|css|svg|json|txt|html|xml|ico|map)$/;
const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
for (const file of walk(process.argv[1])) {
  if (!text.test(file)) continue;
  const data = fs.readFileSync(file);
  fs.writeFileSync(file + '.br', zlib.brotliCompressSync(data, { params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
    [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
  fs.writeFileSync(file + '.gz', zlib.gzipSync(data, { level: 9 }));
}
"#;
    run(cmd("node").arg("-e").arg(SCRIPT).arg(site))
}

fn report_bundle_size(pkg: &Path) {
    let Ok(entries) = fs::read_dir(pkg) else {
        return;
    };
    let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    for file in files {
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".br") || name.ends_with(".gz") {
            continue;
        }
        let size = |p: &Path| fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        eprintln!(
            "xtask: pkg/{name}: {} bytes, {} with brotli",
            size(&file),
            size(&file.with_file_name(format!("{name}.br")))
        );
    }
}

/// The same values cargo-leptos sets: leptos_config reads them when it
/// compiles, so any difference (an absolute path that changes with the
/// checkout) would rebuild leptos and everything above it.
fn site_env(c: &mut Command) -> &mut Command {
    c.env("LEPTOS_OUTPUT_NAME", "skillmap")
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("LEPTOS_SITE_PKG_DIR", "pkg")
}

fn serve(args: &[String]) -> Result {
    prepare()?;
    build_site()?;
    fs::create_dir_all(root().join("data")).map_err(|e| e.to_string())?;
    let bin = target_dir().join("release/skillmap");
    let mut c = cmd(bin.to_str().ok_or("target path is not UTF-8")?);
    site_env(&mut c).arg("serve").arg("--demo").args(args);
    run(&mut c)
}

/// Debian's packages the tests start: Chromium for the browser tests,
/// HAProxy for the scale-out tests' load balancer.
fn ensure_debian_packages() -> Result {
    let wanted = [
        ("/usr/bin/chromium", "chromium"),
        ("/usr/bin/chromedriver", "chromium-driver"),
        ("/usr/sbin/haproxy", "haproxy"),
    ];
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(path, _)| !Path::new(path).exists())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let is_root = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    if !is_root {
        return Err(format!(
            "the tests need Debian's {0}: sudo apt-get install -y {0}",
            missing.join(" ")
        ));
    }
    eprintln!(
        "xtask: installing Debian's {} for the tests",
        missing.join(", ")
    );
    run(Command::new("apt-get")
        .args(["install", "-y"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

fn test(args: &[String]) -> Result {
    prepare()?;
    ensure_debian_packages()?;
    ensure_smtp_server()?;
    build_site()?;
    // One cargo invocation, so dependencies are compiled once for all of
    // them: unit tests of the rules and services (`skillmap-core`), the
    // pages' and guards' (app with `ssr`), the server's own, and the
    // end-to-end suites (HTTP, authorization matrix, CLI, browser, module
    // structure) that drive the binary `build_site` just built.
    let mut all = cmd("cargo");
    site_env(&mut all).args([
        "test",
        "--release",
        "--no-fail-fast",
        "-p",
        "skillmap-core",
        "-p",
        "app",
        "--features",
        "app/ssr",
        "-p",
        "skillmap",
        "-p",
        "migrations",
        "-p",
        "skillmap-tests",
    ]);
    all.args(args);
    run(&mut all)
}

fn lint() -> Result {
    run(cmd("cargo").args(["fmt", "--all", "--", "--check"]))?;
    // The server side in one invocation (features unified once), then the
    // browser side on its own target.
    run(cmd("cargo").args([
        "clippy",
        "--release",
        "-p",
        "skillmap-core",
        "-p",
        "app",
        "--features",
        "app/ssr",
        "-p",
        "skillmap",
        "-p",
        "migrations",
        "-p",
        "skillmap-tests",
        "-p",
        "skillmap-devtools",
        "-p",
        "xtask",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cmd("cargo").args([
        "clippy",
        "--profile",
        "wasm-release",
        "-p",
        "frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ]))
}
