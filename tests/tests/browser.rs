//! Real-browser journeys: the server on a free port, headless Chromium
//! driven by tests/browser/e2e.mjs (playwright-core). Screenshots land in
//! test-artifacts/.

use std::process::Command;

use skillmap_tests::*;

/// Runs a journey in tests/browser/ with node against `app`, with the demo
/// password, where to put screenshots and `env`; fails the test when the
/// journey does. Returns the screenshots' folder.
fn journey(app: &TestServer, script: &str, env: &[(&str, &str)], what: &str) -> std::path::PathBuf {
    let root = workspace_root();
    let artifacts = root.join("test-artifacts");
    let status = Command::new("node")
        .arg(root.join(format!("tests/browser/{script}.mjs")))
        .current_dir(&root)
        .env("BASE_URL", &app.base)
        .env("DEMO_PASSWORD", DEMO_PASSWORD)
        .env("ARTIFACTS_DIR", &artifacts)
        .envs(env.iter().copied())
        .status()
        .expect("node is needed for the browser tests");
    assert!(
        status.success(),
        "{what} failed (see the output above and test-artifacts/)"
    );
    artifacts
}

#[test]
fn each_role_signs_in_uses_the_page_and_signs_out() {
    // The journeys sign in some 20 times from one address within a minute:
    // more than the log-in rate limit allows (http.rs tests the limit).
    let app = TestServer::start_with(&[("SKILLMAP_LOGIN_BURST", "100")]);
    let artifacts = journey(&app, "e2e", &[], "browser journeys");
    assert!(artifacts.join("home-staff.png").exists());
}

/// The same journeys through HAProxy in front of two instances on one
/// PostgreSQL (issue 27): sessions, form errors and islands work whichever
/// instance answers. PostgreSQL pass only.
#[test]
fn each_role_signs_in_through_a_load_balancer_on_two_instances() {
    let url = std::env::var("TEST_DATABASE_URL").unwrap_or_default();
    if !url.starts_with("postgres") {
        eprintln!("left out: it runs with TEST_DATABASE_URL=postgres://...");
        return;
    }
    let db = TestDb::postgres(&url);
    let (ok, out) = cli(&db, &["seed-demo", "--staff", "120"], &[]);
    assert!(ok, "seed-demo failed: {out}");
    let cluster = balancer::Cluster::start(db, 2, &[("SKILLMAP_LOGIN_BURST", "100")]);
    journey(
        &cluster.front,
        "e2e",
        &[],
        "browser journeys through HAProxy",
    );
    let counts = cluster.balancer.requests_per_instance();
    eprintln!("requests per instance: {counts:?}");
    assert_eq!(counts.len(), 2);
    for (name, n) in &counts {
        assert!(*n > 20, "{name} answered {n} of the journeys' requests");
    }
}

#[test]
fn single_sign_on_in_a_real_browser() {
    use skillmap_tests::oidc::{self, IdpAccount, OidcProvider};
    let mut idp = OidcProvider::port();
    let env = idp.skillmap_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = TestServer::start_with(&env);
    idp.start(
        vec![OidcProvider::client(
            &app.base,
            oidc::PROVIDER,
            serde_json::json!({}),
        )],
        &[
            IdpAccount::new("staff", "sub-staff", STAFF),
            IdpAccount::new("stranger", "sub-stranger", "nobody.here@nhs.net"),
        ],
        false,
    );
    journey(
        &app,
        "sso",
        &[
            ("IDP_URL", &idp.issuer),
            ("PROVIDER_LABEL", oidc::LABEL),
            ("IDP_PASSWORD", oidc::PASSWORD),
        ],
        "single sign-on journeys",
    );
}

#[test]
fn notifications_in_a_real_browser() {
    use skillmap_tests::smtp::SmtpSink;
    let sink = SmtpSink::start();
    let mut env = sink.env();
    env.push(("SKILLMAP_JOB_POLL_MS".into(), "100".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = TestServer::start_with(&env);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let staff = app.login_demo(STAFF).await;
        let manager = app.login_demo(MANAGER).await;
        let person = app.whoami(&staff).await["person_id"].to_string();
        // A skill assessed, so there is a profile to review.
        app.json(
            &staff,
            "/api/profile/save",
            &[
                ("skill_code", "DIG-FOUND"),
                ("level", "2"),
                ("revision", "0"),
                ("evidence", "Use the e-rostering app daily"),
            ],
        )
        .await;
        app.json(
            &manager,
            "/api/recognition/give",
            &[
                ("person_id", person.as_str()),
                ("kind", "endorsement"),
                ("skill_code", "DIG-FOUND"),
                ("message", "Showed everyone the new rostering app."),
            ],
        )
        .await;
    });
    // The email has gone before the browser looks for it.
    let start = std::time::Instant::now();
    while sink.messages().is_empty() {
        assert!(
            start.elapsed().as_secs() < 20,
            "the endorsement's email did not arrive"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let mail_file = sink.dir().join("messages.jsonl");
    journey(
        &app,
        "notifications",
        &[
            ("STAFF_EMAIL", STAFF),
            ("ADMIN_EMAIL", ADMIN),
            ("MAIL_FILE", &mail_file.to_string_lossy()),
        ],
        "notification journeys",
    );
}

/// Skills every job role on the demo manager's ward (and in HR) needs, so
/// that people there have agreed levels in them. DAT-VIS, the directory's
/// usual example, comes last: in the demo only data and finance roles
/// need it, so nobody on the ward or in HR has it.
const HELP_CANDIDATES: [&str; 7] = [
    "DIG-SYS",
    "DAT-GOV",
    "DIG-COLLAB",
    "DAT-LIT",
    "DIG-CYBER",
    "DIG-FOUND",
    "DAT-VIS",
];

/// The name of someone other than `me` in `map` (an `/api/team/heatmap`
/// answer) whose level in `code` is agreed at Awareness or above.
fn agreed_other(map: &serde_json::Value, code: &str, me: i64) -> Option<String> {
    let column = map["skills"]
        .as_array()?
        .iter()
        .position(|s| s["code"] == code)?;
    map["rows"].as_array()?.iter().find_map(|r| {
        let cell = &r["cells"][column];
        let agreed = cell["agreed"] == true && cell["level"].as_u64().is_some_and(|l| l >= 1);
        let name = r["name"].as_str().filter(|n| !n.is_empty())?;
        (agreed && r["person_id"].as_i64() != Some(me)).then(|| name.to_string())
    })
}

#[test]
fn expertise_in_a_real_browser() {
    // Seven browser sign-ins and three over the API, from one address:
    // more than the log-in rate limit allows (http.rs tests the limit).
    let app = TestServer::start_with(&[("SKILLMAP_LOGIN_BURST", "100")]);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (staff_name, help_skill, not_listed, interest) = runtime.block_on(async {
        // The demo lists a third of its people: start from a trust where
        // nobody has listed yet, so the one person found is the one the
        // journey lists (tests/tests/expertise.rs does the same).
        use sea_orm::ConnectionTrait;
        let conn = sea_orm::Database::connect(app.db.url())
            .await
            .expect("connect");
        for table in ["skill_interest", "directory_level", "directory_entry"] {
            conn.execute_unprepared(&format!("DELETE FROM {table}"))
                .await
                .expect("clear the demo's directory");
        }
        let staff = app.login_demo(STAFF).await;
        let manager = app.login_demo(MANAGER).await;
        let hr = app.login_demo(HR).await;
        let me = app.whoami(&staff).await;
        let person = me["person_id"].to_string();
        let staff_id = me["person_id"]
            .as_i64()
            .expect("the staff member is a person");
        let staff_name = me["display_name"].as_str().expect("a name").to_string();
        // A skill someone else has an agreed level in (the manager's ward
        // first, then HR's team): they are not listed, so the directory
        // must never find them.
        let mut found = None;
        for who in [&manager, &hr] {
            let map = app.json(who, "/api/team/heatmap", &[("all", "true")]).await;
            found = HELP_CANDIDATES.iter().find_map(|code| {
                agreed_other(&map, code, staff_id).map(|name| ((*code).to_string(), name))
            });
            if found.is_some() {
                break;
            }
        }
        let (help_skill, not_listed) = found.unwrap_or_else(|| {
            panic!(
                "nobody but the staff member has an agreed level in any of {HELP_CANDIDATES:?} \
                 on the manager's or HR's heatmap"
            )
        });
        assert_ne!(
            not_listed, staff_name,
            "someone other than the staff member"
        );
        // The staff member's level in it agreed at Practitioner: they may
        // offer to help others with it.
        let saved = app
            .json(
                &staff,
                "/api/profile/save",
                &[
                    ("skill_code", help_skill.as_str()),
                    ("level", "3"),
                    ("revision", "0"),
                    ("evidence", "Showed the ward how to use it"),
                ],
            )
            .await;
        let revision = saved["revision"].to_string();
        app.json(
            &manager,
            "/api/profile/review",
            &[
                ("person_id", person.as_str()),
                ("skill_code", help_skill.as_str()),
                ("revision", revision.as_str()),
                ("decision", "agree"),
            ],
        )
        .await;
        // A skill their recommended learning develops: the first step's
        // first, unless that is the one just agreed.
        let mine = app.json(&staff, "/api/learning/mine", &[]).await;
        let interest = mine["plan"]["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| s["gains"].as_array().into_iter().flatten())
            .filter_map(|g| g["skill_code"].as_str())
            .find(|code| *code != help_skill)
            .unwrap_or_else(|| panic!("a recommended step develops a skill: {mine}"))
            .to_string();
        (staff_name, help_skill, not_listed, interest)
    });
    let artifacts = journey(
        &app,
        "expertise",
        &[
            ("STAFF_EMAIL", STAFF),
            ("MANAGER_EMAIL", MANAGER),
            ("HR_EMAIL", HR),
            ("STAFF_NAME", &staff_name),
            ("NOT_LISTED_NAME", &not_listed),
            ("INTEREST_SKILL", &interest),
            ("HELP_SKILL", &help_skill),
        ],
        "expertise directory journeys",
    );
    assert!(artifacts.join("find-results.png").exists());
}

/// Issue 25: every page fits a 320px phone screen with nothing drawn over
/// anything else, and the first visit on a regular 3G connection stays
/// within its byte budget, with wasm only where a page has an island
/// (tests/browser/phone.mjs).
#[test]
fn on_a_phone_with_a_poor_connection() {
    let app = TestServer::start_with(&[("SKILLMAP_LOGIN_BURST", "100")]);
    journey(&app, "phone", &[], "phone checks");
}

/// Issue 26: two organisations in one deployment. The other
/// organisation's HR cannot find, open or act on the first's people and
/// units through the pages; each administrator sets their own review
/// cycle (tests/browser/tenancy.mjs).
#[test]
fn hr_of_one_organisation_cannot_reach_another_through_the_pages() {
    let app = TestServer::start_system(2, 240, &[("SKILLMAP_LOGIN_BURST", "100")]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (person_id, person_name, first_unit, first_name, other_name, orgs) = rt.block_on(async {
        let staff = app.login_demo(STAFF).await;
        let me = app.whoami(&staff).await;
        let hr = app.login_demo(HR).await;
        let other_hr = app.login_demo(OTHER_HR).await;
        let first: serde_json::Value = app
            .call(&hr, "/api/team/organisation", &[])
            .await
            .json()
            .await
            .unwrap();
        let other: serde_json::Value = app
            .call(&other_hr, "/api/team/organisation", &[])
            .await
            .json()
            .await
            .unwrap();
        // The organisations' names, as their administrators' review cycle
        // pages give them.
        let mut orgs = Vec::new();
        for admin in [ADMIN, OTHER_ADMIN] {
            let admin = app.login_demo(admin).await;
            let page = app.json(&admin, "/api/profile/review_cycle", &[]).await;
            orgs.push(page["organisation"].as_str().unwrap().to_string());
        }
        (
            me["person_id"].to_string(),
            me["display_name"].as_str().unwrap().to_string(),
            first["unit"]["id"].to_string(),
            first["unit"]["name"].as_str().unwrap().to_string(),
            other["unit"]["name"].as_str().unwrap().to_string(),
            orgs,
        )
    });
    let artifacts = journey(
        &app,
        "tenancy",
        &[
            ("HR_EMAIL", HR),
            ("OTHER_HR_EMAIL", OTHER_HR),
            ("PERSON_ID", &person_id),
            ("PERSON_NAME", &person_name),
            ("FIRST_UNIT", &first_unit),
            ("FIRST_NAME", &first_name),
            ("OTHER_NAME", &other_name),
            ("LEAD_EMAIL", LEAD),
            ("ADMIN_EMAIL", ADMIN),
            ("OTHER_ADMIN_EMAIL", OTHER_ADMIN),
            ("FIRST_ORG", &orgs[0]),
            ("OTHER_ORG", &orgs[1]),
        ],
        "tenancy journeys",
    );
    assert!(artifacts.join("tenancy-other-hr-not-found.png").exists());
}

/// Issue 26: a person moves to another organisation of the system and
/// keeps their agreed levels and badges; the credentials downloaded
/// before and after the move verify against the organisation that issued
/// them (tests/browser/move.mjs).
#[test]
fn a_person_moves_organisation_with_their_levels_and_badges() {
    let app = TestServer::start_system(2, 240, &[("SKILLMAP_LOGIN_BURST", "100")]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = rt.block_on(async {
        let staff = app.login_demo(STAFF).await;
        let manager = app.login_demo(MANAGER).await;
        let hr = app.login_demo(HR).await;
        let other_hr = app.login_demo(OTHER_HR).await;
        let me = app.whoami(&staff).await;
        let person = me["person_id"].to_string();
        app.json(
            &staff,
            "/api/profile/save",
            &[("skill_code", "DAT-VIS"), ("level", "3"), ("revision", "0")],
        )
        .await;
        app.json(
            &manager,
            "/api/profile/review",
            &[
                ("person_id", &person),
                ("skill_code", "DAT-VIS"),
                ("decision", "agree"),
                ("revision", "1"),
            ],
        )
        .await;
        let detail = app
            .json(&hr, "/api/people/detail", &[("person_id", &person)])
            .await;
        let first = app.json(&hr, "/api/team/organisation", &[]).await;
        let other = app.json(&other_hr, "/api/team/organisation", &[]).await;
        vec![
            ("PERSON_ID", person),
            (
                "PERSON_NAME",
                me["display_name"].as_str().unwrap().to_string(),
            ),
            (
                "EMPLOYEE_NUMBER",
                detail["summary"]["employee_number"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            ),
            (
                "MANAGER_NAME",
                app.whoami(&manager).await["display_name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            ),
            (
                "FIRST_NAME",
                first["unit"]["name"].as_str().unwrap().to_string(),
            ),
            (
                "OTHER_NAME",
                other["unit"]["name"].as_str().unwrap().to_string(),
            ),
        ]
    });
    let mut vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.extend([
        ("HR_EMAIL", HR),
        ("OTHER_HR_EMAIL", OTHER_HR),
        ("STAFF_EMAIL", STAFF),
        ("OTHER_CODE", "RXE"),
    ]);
    let artifacts = journey(&app, "move", &vars, "move journey");
    assert!(artifacts.join("move-skills.png").exists());
}

/// The revision of `client`'s own assessment of `skill` (0: none yet).
async fn own_revision(app: &TestServer, client: &reqwest::Client, skill: &str) -> String {
    let profile = app.json(client, "/api/profile/get", &[]).await;
    profile["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["skill"]["code"] == skill)
        .and_then(|i| i["assessment"]["revision"].as_i64())
        .unwrap_or(0)
        .to_string()
}

/// Issue 26: with their consent, a person takes their agreed levels to a
/// Skillmap of another system as a signed skills passport; that Skillmap,
/// set up to trust the first's issuer, fetches its key, checks the
/// passport, refuses a changed one, and imports the levels as the
/// person's own for their new manager to agree (tests/browser/passport.mjs).
#[test]
fn a_skills_passport_takes_agreed_levels_to_another_system() {
    let first = TestServer::start_with(&[("SKILLMAP_LOGIN_BURST", "100")]);
    let trusted = format!("{}/issuer/RNF", first.base);
    let second = TestServer::start_with(&[
        ("SKILLMAP_LOGIN_BURST", "100"),
        ("SKILLMAP_TRUSTED_ISSUERS", &trusted),
    ]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = rt.block_on(async {
        // There: Expert in visualisation, agreed by their manager.
        let staff = first.login_demo(STAFF).await;
        let manager = first.login_demo(MANAGER).await;
        let person = first.whoami(&staff).await["person_id"].to_string();
        let revision = own_revision(&first, &staff, "DAT-VIS").await;
        let saved = first
            .json(
                &staff,
                "/api/profile/save",
                &[
                    ("skill_code", "DAT-VIS"),
                    ("level", "4"),
                    ("revision", &revision),
                ],
            )
            .await;
        let revision = saved["revision"].to_string();
        first
            .json(
                &manager,
                "/api/profile/review",
                &[
                    ("person_id", &person),
                    ("skill_code", "DAT-VIS"),
                    ("decision", "agree"),
                    ("revision", &revision),
                ],
            )
            .await;
        // Here: the same person, at Awareness so far.
        let here = second.login_demo(STAFF).await;
        let revision = own_revision(&second, &here, "DAT-VIS").await;
        second
            .json(
                &here,
                "/api/profile/save",
                &[
                    ("skill_code", "DAT-VIS"),
                    ("level", "1"),
                    ("revision", &revision),
                ],
            )
            .await;
        let name = |v: serde_json::Value| v["display_name"].as_str().unwrap().to_string();
        vec![
            ("FIRST_MANAGER_NAME", name(first.whoami(&manager).await)),
            (
                "SECOND_PERSON_ID",
                second.whoami(&here).await["person_id"].to_string(),
            ),
            ("OTHER_BASE_URL", second.base.clone()),
        ]
    });
    let mut vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.extend([("STAFF_EMAIL", STAFF), ("MANAGER_EMAIL", MANAGER)]);
    let artifacts = journey(&first, "passport", &vars, "skills passport journey");
    assert!(artifacts.join("passport-preview.png").exists());
}

/// Issue 26: an organisation's own skills on top of the shared framework.
/// Its administrator publishes them (not the shared framework, which the
/// workforce lead looks after); its staff assess them and its managers
/// agree them; the other organisation sees none of them
/// (tests/browser/own_skills.mjs).
#[test]
fn an_organisation_adds_its_own_skills_for_its_staff_alone() {
    let app = TestServer::start_system(2, 240, &[("SKILLMAP_LOGIN_BURST", "100")]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let staff_person = rt.block_on(async {
        let staff = app.login_demo(STAFF).await;
        app.whoami(&staff).await["person_id"].to_string()
    });
    let artifacts = journey(
        &app,
        "own_skills",
        &[
            ("ADMIN_EMAIL", ADMIN),
            ("STAFF_EMAIL", STAFF),
            ("MANAGER_EMAIL", MANAGER),
            ("STAFF_PERSON", &staff_person),
            ("OTHER_ADMIN_EMAIL", OTHER_ADMIN),
            ("OTHER_STAFF_EMAIL", OTHER_STAFF),
            ("LEAD_EMAIL", LEAD),
        ],
        "own skills journey",
    );
    assert!(artifacts.join("own-skills-framework.png").exists());
}
