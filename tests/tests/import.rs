//! HR bulk import: the bad-input corpus (tests/import-corpus), idempotence,
//! atomicity (including killing the import part-way through its commit),
//! and the upload -> preview -> commit flow over HTTP.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use skillmap_tests::*;

fn corpus(name: &str) -> PathBuf {
    workspace_root().join("tests/import-corpus").join(name)
}

fn import(db: &TestDb, kind: &str, path: &std::path::Path, extra: &[&str]) -> (bool, String) {
    let path = path.to_string_lossy().to_string();
    let mut args = vec!["import", kind, path.as_str()];
    args.extend_from_slice(extra);
    cli(db, &args, &[])
}

/// A demo organisation (its units and roles are what the corpus refers to).
fn seeded() -> TestDb {
    let db = TestDb::new();
    let (ok, out) = cli(&db, &["seed-demo", "--staff", "120"], &[]);
    assert!(ok, "{out}");
    db
}

/// "create: N" etc. from the command's preview.
fn count(out: &str, what: &str) -> usize {
    out.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{what}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {what:?} count in:\n{out}"))
}

#[test]
fn every_bad_file_gets_a_clear_error_and_changes_nothing() {
    let db = seeded();
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    // The same valid file, checked before and after every bad one.
    let good = write(
        "good.csv",
        "Employee number,First name,Last name,Org unit code,Staff group,Band\n\
         X0100,Good,Person,RNF-D1-T01,Administrative and Clerical,Band 4\n"
            .into(),
    );
    let (ok, before) = import(&db, "staff", &good, &["--dry-run"]);
    assert!(ok && count(&before, "create") == 1, "{before}");

    // (file, kind, expected message)
    let cases: [(&str, &str, &str); 17] = [
        ("empty.csv", "staff", "The file is empty"),
        ("header-only.csv", "staff", "header row but no data rows"),
        (
            "missing-column.csv",
            "staff",
            "The file has no \u{201c}Org unit code\u{201d} column (also accepted: Organisation code",
        ),
        (
            "wrong-delimiter.csv",
            "staff",
            "The header row has only one column (it looks separated by \u{201c}|\u{201d})",
        ),
        ("latin1.csv", "staff", "The file is not UTF-8 text: line 2"),
        (
            "quoted-newline.csv",
            "staff",
            "Row 2, First name \u{201c}Asha\nMay\u{201d}: Must not contain line breaks",
        ),
        (
            "duplicate-keys.csv",
            "staff",
            "Row 3, Employee number \u{201c}X0001\u{201d}: Employee number X0001 is already on row 2",
        ),
        (
            "unknown-references.csv",
            "staff",
            "Row 2, Org unit code \u{201c}NO-SUCH-UNIT\u{201d}: No organisation unit has code NO-SUCH-UNIT",
        ),
        (
            "unknown-references.csv",
            "staff",
            "Row 2, Job role code \u{201c}NO-SUCH-ROLE\u{201d}: No job role has code or title",
        ),
        (
            "roles-level-out-of-range.csv",
            "roles",
            "Row 2, Required level \u{201c}7\u{201d}: Use a level from 1 to 4",
        ),
        (
            "invalid-email.csv",
            "staff",
            "Row 2, Email \u{201c}asha.patel@\u{201d}: Enter an email address",
        ),
        (
            "over-long-field.csv",
            "staff",
            "Row 2, First name \u{201c}AAAA",
        ),
        (
            "over-long-field.csv",
            "staff",
            "Must be 100 characters or fewer",
        ),
        (
            "not-a-spreadsheet.xlsx",
            "staff",
            "The file is named .xlsx but is not an Excel spreadsheet",
        ),
        ("binary.csv", "staff", "it contains binary data"),
        (
            "manager-loop.csv",
            "staff",
            "Line managers form a loop: X0001 \u{2192} X0002 \u{2192} X0001",
        ),
        (
            "manager-loop.csv",
            "staff",
            "Row 4, Line manager employee number \u{201c}X0003\u{201d}: A person cannot be their own line manager",
        ),
    ];
    for (file, kind, expected) in cases {
        let (ok, out) = import(&db, kind, &corpus(file), &[]);
        assert!(!ok, "{file} was accepted:\n{out}");
        assert!(
            out.contains(expected),
            "{file}: expected {expected:?} in:\n{out}"
        );
        assert!(out.contains("nothing was imported"), "{file}:\n{out}");
    }
    // Too many rows: the limit is a setting.
    let (ok, out) = cli(
        &db,
        &[
            "import",
            "staff",
            corpus("too-many-rows.csv").to_str().unwrap(),
        ],
        &[("SKILLMAP_IMPORT_MAX_ROWS", "2")],
    );
    assert!(
        !ok && out.contains("more than 2 data rows") && out.contains("SKILLMAP_IMPORT_MAX_ROWS"),
        "{out}"
    );
    let (ok, out) = cli(
        &db,
        &["import", "staff", good.to_str().unwrap()],
        &[("SKILLMAP_IMPORT_MAX_BYTES", "50")],
    );
    assert!(!ok && out.contains("SKILLMAP_IMPORT_MAX_BYTES"), "{out}");

    // BOM, CRLF and an unknown column: a warning, not an error.
    let (ok, out) = import(
        &db,
        "staff",
        &corpus("bom-crlf-unknown-column.csv"),
        &["--dry-run"],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("Unknown column \u{201c}Shoe size\u{201d} is ignored"),
        "{out}"
    );
    assert_eq!(count(&out, "create"), 1);
    assert_eq!(count(&out, "new accounts"), 1);

    // Nothing above changed anything.
    let (ok, after) = import(&db, "staff", &good, &["--dry-run"]);
    assert!(ok && count(&after, "create") == 1, "{after}");

    // An Excel file with an HR system's column names.
    let (ok, out) = import(&db, "staff", &corpus("staff.xlsx"), &[]);
    assert!(ok, "{out}");
    assert_eq!(count(&out, "create"), 2, "{out}");
    assert_eq!(count(&out, "new accounts"), 1, "{out}");
}

#[test]
fn importing_twice_changes_nothing_and_changes_update_in_place() {
    let db = seeded();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let org = dir.join("org.csv");
    std::fs::write(
        &org,
        "Code,Name,Parent code\n\
         IMP-D,Imported Directorate,RNF\n\
         IMP-T1,Imported Team One,IMP-D\n\
         IMP-T2,Imported Team Two,IMP-D\n",
    )
    .unwrap();
    let roles = dir.join("roles.csv");
    std::fs::write(
        &roles,
        "Role code,Title,Staff group,Band,DIG-FOUND,DAT-VIS\n\
         IMP-R1,Imported Analyst,Administrative and Clerical,Band 6,3,2d\n",
    )
    .unwrap();
    let staff = |lead_band: &str| {
        format!(
            "Employee number,Full name,Email,Org unit code,Job role code,Line manager employee number,Staff group,Band,Skillmap role\n\
             IMP001,\"Lead, Lola\",lola.lead@imported.example,IMP-T1,IMP-R1,,Administrative and Clerical,{lead_band},manager\n\
             IMP002,Max Member,max.member@imported.example,IMP-T1,Imported Analyst,IMP001,Administrative and Clerical,Band 5,\n\
             IMP003,Nia Newer,,IMP-T2,,IMP002,Administrative and Clerical,Band 4,\n"
        )
    };
    let people = dir.join("staff.csv");
    std::fs::write(&people, staff("Band 7")).unwrap();

    for (kind, path, n) in [
        ("org", &org, 3),
        ("roles", &roles, 1),
        ("staff", &people, 3),
    ] {
        let (ok, out) = import(&db, kind, path, &[]);
        assert!(ok, "{kind}: {out}");
        assert_eq!(count(&out, "create"), n, "{kind}: {out}");
        let (ok, out) = import(&db, kind, path, &[]);
        assert!(ok, "{kind} again: {out}");
        assert_eq!(count(&out, "create"), 0, "{kind} again: {out}");
        assert_eq!(count(&out, "update"), 0, "{kind} again: {out}");
        assert_eq!(count(&out, "unchanged"), n, "{kind} again: {out}");
    }
    // One change: one update, nothing new.
    std::fs::write(&people, staff("Band 8a")).unwrap();
    let (ok, out) = import(&db, "staff", &people, &[]);
    assert!(ok, "{out}");
    assert_eq!(
        (
            count(&out, "create"),
            count(&out, "update"),
            count(&out, "unchanged")
        ),
        (0, 1, 2),
        "{out}"
    );
    // A manager loop through the database is caught: IMP001 now reporting
    // to IMP003, who reports (in Skillmap) to IMP002, who reports to IMP001.
    let looped = dir.join("loop.csv");
    std::fs::write(
        &looped,
        "Employee number,First name,Last name,Org unit code,Line manager employee number,Staff group,Band\n\
         IMP001,Lola,Lead,IMP-T1,IMP003,Administrative and Clerical,Band 8a\n",
    )
    .unwrap();
    let (ok, out) = import(&db, "staff", &looped, &[]);
    assert!(
        !ok && out.contains(
            "Line managers form a loop: IMP001 \u{2192} IMP003 \u{2192} IMP002 \u{2192} IMP001"
        ),
        "{out}"
    );
}

#[test]
fn killing_the_import_part_way_through_its_commit_changes_nothing() {
    let db = seeded();
    let rows = 30_000;
    let text = staff_tree_csv("K", rows);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("big.csv");
    std::fs::write(&path, text).unwrap();

    let mut child = Command::new(binary())
        .args(["import", "staff", path.to_str().unwrap()])
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut killed_at = None;
    for line in stderr.lines().map_while(Result::ok) {
        if let Some(p) = line.strip_prefix("progress: ") {
            let (done, total) = p.split_once('/').unwrap();
            let (done, total): (usize, usize) = (done.parse().unwrap(), total.parse().unwrap());
            if done > 0 && done < total {
                child.kill().unwrap();
                killed_at = Some(done);
                break;
            }
        }
    }
    let _ = child.wait();
    let done = killed_at.expect("the import was stopped part-way");
    println!("killed after writing {done} of {rows} rows");

    // Nothing of it is there: every row would still be created.
    let (ok, out) = import(&db, "staff", &path, &["--dry-run"]);
    assert!(ok, "{out}");
    assert_eq!(count(&out, "create"), rows, "{out}");
    // And the database is sound: the whole import now goes through.
    let (ok, out) = import(&db, "staff", &path, &[]);
    assert!(ok, "{out}");
    assert_eq!(count(&out, "create"), rows, "{out}");
    let (ok, out) = import(&db, "staff", &path, &["--dry-run"]);
    assert!(ok && count(&out, "unchanged") == rows, "{out}");
}

async fn job(app: &TestServer, client: &reqwest::Client, id: &str) -> Value {
    let res = app.call(client, "/api/import/job", &[("job_id", id)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test]
async fn upload_preview_commit_over_http() {
    let app = TestServer::start();
    let hr = app.login_demo(HR).await;

    // A file with a problem: rejected, with the problem named.
    let bad = "Employee number,First name,Last name,Email,Org unit code,Staff group,Band\n\
               W0001,Wren,Webb,wren.webb@upload.example,RNF-D1-T01,Administrative and Clerical,Band 5\n\
               W0002,=cmd|' /C calc'!A0,Webb,not-an-email,RNF-D1-T01,Administrative and Clerical,Band 5\n";
    let res = app
        .upload(&hr, "staff", "staff.csv", bad.as_bytes().to_vec())
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = res.text().await.unwrap();
    let j = job(&app, &hr, &id).await;
    assert_eq!(j["status"], "rejected", "{j}");
    assert_eq!(j["counts"]["errors"], 1, "{j}");
    assert_eq!(j["problems"][0]["row"], 3, "{j}");
    assert_eq!(j["problems"][0]["column"], "Email", "{j}");
    // Nothing can be committed from it.
    let res = app
        .call(&hr, "/api/import/commit", &[("job_id", &id)])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // The problem report is a CSV that a spreadsheet will not run.
    let res = hr
        .get(app.url(&format!("/admin/import/{id}/problems.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let report = res.text().await.unwrap();
    assert!(
        report.starts_with("Row,Column,Value,Problem,Severity"),
        "{report}"
    );
    assert!(report.contains("3,Email,not-an-email,"), "{report}");
    // Staff cannot read it.
    let staff = app.login_demo(STAFF).await;
    let res = staff
        .get(app.url(&format!("/admin/import/{id}/problems.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .upload(&staff, "staff", "staff.csv", bad.as_bytes().to_vec())
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Fixed (and a formula-looking name kept as text): ready, then imported.
    let good = bad.replace("not-an-email", "wynn.webb@upload.example");
    let res = app
        .upload(&hr, "staff", "staff.csv", good.into_bytes())
        .await;
    let id = res.text().await.unwrap();
    let j = job(&app, &hr, &id).await;
    assert_eq!(j["status"], "ready", "{j}");
    assert_eq!(j["counts"]["create"], 2, "{j}");
    let res = app
        .call(&hr, "/api/import/commit", &[("job_id", &id)])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let started = Instant::now();
    loop {
        let res = app
            .call(&hr, "/api/import/progress", &[("job_id", &id)])
            .await;
        let (status, _progress): (String, Value) = res.json().await.unwrap();
        if status == "imported" {
            break;
        }
        assert!(
            status == "importing" || status == "ready",
            "unexpected status {status}"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "import hung");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A second commit is refused; the history lists both files.
    let res = app
        .call(&hr, "/api/import/commit", &[("job_id", &id)])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let history: Value = app
        .call(&hr, "/api/import/history", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history[0]["status"], "imported", "{history}");
    assert_eq!(history[0]["actor"], HR, "{history}");
    assert_eq!(history[1]["status"], "rejected", "{history}");

    // The new people are in the organisation, the odd name as plain text.
    let found: Value = app
        .call(&hr, "/api/people/search", &[("query", "webb")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found[1], 2, "{found}");
    let names: Vec<&str> = found[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"=cmd|' /C calc'!A0 Webb"), "{names:?}");
    // Their accounts exist but cannot be signed in to without a password.
    let res = app
        .call(
            &app.client(),
            "/api/auth/login",
            &[
                ("email", "wren.webb@upload.example"),
                ("password", "any password at all"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Set-password links for the new accounts: HR downloads them, the
    // person chooses a password once, then signs in.
    let res = staff
        .post(app.url("/admin/import/links.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = hr
        .post(app.url("/admin/import/links.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let links = res.text().await.unwrap();
    assert_eq!(links.lines().count(), 3, "header and two links: {links}");
    let line = links
        .lines()
        .find(|l| l.starts_with("wren.webb@upload.example"))
        .expect("a link for Wren");
    let token = line
        .split("token=")
        .nth(1)
        .and_then(|t| t.split(',').next())
        .unwrap()
        .to_string();
    let anonymous = app.client();
    let res = anonymous
        .get(app.url(&format!("/set-password?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the link opens without signing in"
    );
    let server = &app;
    let set = |password: &'static str, confirm: &'static str| {
        let token = token.clone();
        let anonymous = anonymous.clone();
        async move {
            server
                .call(
                    &anonymous,
                    "/api/auth/set_password",
                    &[
                        ("token", &token),
                        ("password", password),
                        ("confirm", confirm),
                    ],
                )
                .await
        }
    };
    let res = set("a brand new passphrase", "a different passphrase").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = set("a brand new passphrase", "a brand new passphrase").await;
    assert_eq!(res.status(), StatusCode::OK);
    let wren = app
        .login("wren.webb@upload.example", "a brand new passphrase")
        .await;
    assert_eq!(app.whoami(&wren).await["role"], "staff");
    // A link works once.
    let res = set("another new passphrase", "another new passphrase").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Templates for each kind.
    for kind in ["org", "roles", "staff"] {
        let res = hr
            .get(app.url(&format!("/admin/import/templates/{kind}.csv")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{kind}");
        let text = res.text().await.unwrap();
        assert!(text.lines().count() == 2, "{kind}: {text}");
    }
}

#[tokio::test]
async fn upload_limits_are_settings_with_clear_messages() {
    let app = TestServer::start_with(&[
        ("SKILLMAP_IMPORT_MAX_BYTES", "2048"),
        ("SKILLMAP_IMPORT_MAX_ROWS", "3"),
    ]);
    let hr = app.login_demo(HR).await;
    let mut big =
        String::from("Employee number,First name,Last name,Org unit code,Staff group,Band\n");
    for i in 0..100 {
        big.push_str(&format!(
            "L{i:04},Lim,Person{i},RNF-D1-T01,Administrative and Clerical,Band 3\n"
        ));
    }
    // Over the size limit: refused while reading, nothing recorded.
    let res = app
        .upload(&hr, "staff", "big.csv", big.clone().into_bytes())
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("larger than the 2 KB limit") && body.contains("SKILLMAP_IMPORT_MAX_BYTES"),
        "{body}"
    );
    // Far over it: refused before reading (413), from the declared length.
    let status = app.declare_body("/api/import/upload", 2048 + 64 * 1024 + 1);
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE.as_u16());
    // Under the size limit but over the row limit: a rejected import.
    let four: String = big.lines().take(5).map(|l| format!("{l}\n")).collect();
    let res = app
        .upload(&hr, "staff", "four.csv", four.into_bytes())
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = res.text().await.unwrap();
    let j = job(&app, &hr, &id).await;
    assert_eq!(j["status"], "rejected", "{j}");
    let message = j["problems"][0]["message"].as_str().unwrap();
    assert!(message.contains("more than 3 data rows"), "{message}");
    let history: Value = app
        .call(&hr, "/api/import/history", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history.as_array().unwrap().len(), 1, "{history}");
}
