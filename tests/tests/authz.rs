//! The authorization matrix: every server function, called by every kind of
//! caller, with the expected outcome. It fails when the server has a server
//! function this table does not list, so a new one cannot ship unguarded.

use std::collections::BTreeMap;

use reqwest::{Client, StatusCode};
use skillmap_tests::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Caller {
    Anonymous,
    Staff,
    OtherManager,
    Manager,
    Hr,
    Admin,
    /// HR and an administrator of another organisation in the same
    /// deployment: every id of the first organisation is, to them, an id
    /// that does not exist.
    OtherHr,
    OtherAdmin,
    /// The system's workforce lead: no organisation, no person; sees the
    /// organisation view of every organisation and nothing else of theirs.
    Lead,
}

const CALLERS: [Caller; 9] = [
    Caller::Anonymous,
    Caller::Staff,
    Caller::OtherManager,
    Caller::Manager,
    Caller::Hr,
    Caller::Admin,
    Caller::OtherHr,
    Caller::OtherAdmin,
    Caller::Lead,
];

/// The column headings, in the order of `CALLERS`.
const HEADINGS: [&str; 9] = [
    "anon", "staff", "oth-m", "mgr", "hr", "admin", "o-hr", "o-adm", "lead",
];

/// Expected status per caller of the first organisation (and anonymous),
/// in the order of `CALLERS`' first six.
type Own = [u16; 6];
/// Expected status per caller, in the order of `CALLERS`.
type Row = [u16; 8];

/// A row for the first organisation's callers, with what HR and an
/// administrator of the other organisation get.
const fn with(own: Own, other_hr: u16, other_admin: u16) -> Row {
    [
        own[0],
        own[1],
        own[2],
        own[3],
        own[4],
        own[5],
        other_hr,
        other_admin,
    ]
}

/// The row of a case that names nothing of the first organisation: the
/// other organisation's HR and administrator get what its own do.
const fn same(own: Own) -> Row {
    with(own, own[4], own[5])
}

/// The row of a case that names an id of the first organisation: past
/// the role check, the other organisation's HR and administrator are told
/// it is not found.
const fn theirs(own: Own) -> Row {
    const fn other(s: u16) -> u16 {
        if s == 401 || s == 403 { s } else { 404 }
    }
    with(own, other(own[4]), other(own[5]))
}

/// What the workforce lead gets from each server function and route
/// (`Case`s and `RouteCase`s give the others'): the organisation view of
/// any organisation and what any signed-in user has; nothing that belongs
/// to an organisation (403), and no one's record (404, as an id not there).
fn lead_expected(what: &str) -> u16 {
    match what {
        "/api/auth/login" => 401,
        "/api/auth/set_password" => 422,
        "/api/auth/whoami"
        | "/api/auth/sign_in_choices"
        | "/api/auth/logout"
        | "/api/home/overview"
        | "/api/framework/current"
        | "/api/framework/admin"
        | "/api/team/legend"
        | "/api/team/organisation"
        | "/api/notifications/inbox"
        | "/api/notifications/preferences"
        | "/api/notifications/save_preferences"
        | "/api/learning/catalogue"
        | "/api/learning/resource"
        | "/api/recognition/verify"
        | "GET /healthz"
        | "GET /readyz"
        | "GET /framework/export.json"
        | "GET /framework/export.csv"
        | "GET /issuer"
        | "GET /issuer/{code}"
        | "GET /my-data/skillmap-my-data.zip" => 200,
        // Someone's record, or an id of theirs: not found.
        "/api/people/detail"
        | "/api/profile/get"
        | "/api/profile/review"
        | "/api/profile/history"
        | "/api/recognition/badges"
        | "/api/notifications/open"
        | "/api/notifications/mark"
        | "/api/recognition/hide"
        | "/api/recognition/hide_item"
        | "GET /issuer/keys/{kid}"
        | "GET /issuer/{code}/keys/{kid}"
        | "GET /badges/{id}/credential.jwt" => 404,
        // A person's own things: the lead is no person ("not linked to a
        // person", or nothing to list).
        "/api/profile/save"
        | "/api/profile/review_status"
        | "/api/profile/review_form"
        | "/api/profile/complete_review"
        | "/api/learning/mine"
        | "/api/learning/accept"
        | "/api/learning/step"
        | "/api/learning/add_mentor"
        | "/api/learning/mentoring" => 409,
        "/api/profile/pending" | "/api/profile/overdue_reviews" => 200,
        "/api/expertise/interests"
        | "/api/expertise/save_interests"
        | "/api/expertise/save_listing"
        | "/api/recognition/gift_form"
        | "/api/recognition/give" => 404,
        "POST /verify" | "POST /verify/upload" => 303,
        // The lead looks after the shared framework: a file that is not
        // one is refused; a draft of an organisation's own skills (or none)
        // is not found.
        "/api/framework/upload" => 422,
        "/api/framework/preview" | "/api/framework/publish" => 404,
        // The passport forms send everyone signed in back to the page
        // (no consent ticked; no file chosen).
        "POST /my-data/skills-passport.jwt" | "POST /my-data/passport/upload" => 303,
        // An upload that is not theirs (the lead has none).
        "/api/privacy/passport_preview" | "/api/privacy/passport_import" => 404,
        "GET /auth/sso/{provider}" | "GET /auth/sso/{provider}/callback" => 303,
        "POST /auth/sso/{provider}/backchannel-logout" => 400,
        _ => 403,
    }
}

/// A case's row with the lead's status: one per caller of `CALLERS`.
fn full(row: &Row, lead: u16) -> [u16; 9] {
    let mut out = [lead; 9];
    out[..8].copy_from_slice(row);
    out
}

/// A table row's statuses, right-aligned under `HEADINGS`.
fn columns(row: &[u16]) -> String {
    row.iter().map(|s| format!("{s:>6}")).collect()
}

const PUBLIC: Own = [200, 200, 200, 200, 200, 200];
const ANY_USER: Own = [401, 200, 200, 200, 200, 200];
const ADMIN_ONLY: Own = [401, 403, 403, 403, 403, 200];
/// The staff member's own record: themself, their manager, HR, admin.
const PERSON: Own = [401, 200, 403, 200, 200, 200];
/// Anyone signed in gets past the guard (to a validation error).
const SIGNED_IN_BAD_INPUT: Own = [401, 422, 422, 422, 422, 422];
/// Administrators get past the guard (to an error about their input).
const ADMIN_BAD_INPUT: Own = [401, 403, 403, 403, 403, 422];
const ADMIN_NOT_FOUND: Own = [401, 403, 403, 403, 403, 404];
const ADMIN_CONFLICT: Own = [401, 403, 403, 403, 403, 409];
/// HR and administrators get past the guard (to a validation error).
const HR_ADMIN_BAD_INPUT: Own = [401, 403, 403, 403, 422, 422];
const HR_ADMIN_NOT_FOUND: Own = [401, 403, 403, 403, 404, 404];
/// Anyone may try; a bad token is refused for everyone.
const ANYONE_BAD_INPUT: Own = [422, 422, 422, 422, 422, 422];
/// HR and administrators only.
const HR_ADMIN: Own = [401, 403, 403, 403, 200, 200];
/// The staff member's line manager and nobody else.
const MANAGER_ONLY: Own = [401, 403, 403, 200, 403, 403];
/// A team's manager (and anyone above them), HR and administrators.
const TEAM: Own = [401, 403, 403, 200, 200, 200];
/// Anyone signed in gets past the guard (to a conflict about the request).
const SIGNED_IN_CONFLICT: Own = [401, 409, 409, 409, 409, 409];
/// The staff member's own pathway step: anyone else is told it is not found.
const OWN_STEP: Own = [401, 200, 404, 404, 404, 404];
/// Anyone signed in gets past the guard (to "not found" for an id that is
/// not theirs).
const SIGNED_IN_NOT_FOUND: Own = [401, 404, 404, 404, 404, 404];
/// Anyone signed in but the staff member themself (nobody recognises
/// themself).
const NOT_SELF: Own = [401, 409, 200, 200, 200, 200];
/// Log-in with a wrong password: anyone may try, nobody gets in.
const LOGIN_REFUSED: Own = [401, 401, 401, 401, 401, 401];

/// One server function: its path, the arguments to call it with, and the
/// status each caller should get.
struct Case(&'static str, Vec<(&'static str, String)>, Row);

/// Plain routes (downloads, credentials, uploads). A signed-out visitor
/// asking for a download is sent to sign in (303) before anything else.
const DOWNLOAD_ANY_USER: Own = [303, 200, 200, 200, 200, 200];
const DOWNLOAD_HR_ADMIN: Own = [303, 403, 403, 403, 200, 200];
const DOWNLOAD_HR_ADMIN_NOT_FOUND: Own = [303, 403, 403, 403, 404, 404];
const DOWNLOAD_TEAM: Own = [303, 403, 403, 200, 200, 200];
const DOWNLOAD_OWN: Own = [303, 404, 404, 404, 404, 404];
/// Public, and answered by going back to the page with the result.
const PUBLIC_BACK_TO_PAGE: Own = [303, 303, 303, 303, 303, 303];
/// Signed in, answered by going back to the page; signed out, refused.
const SIGNED_IN_BACK_TO_PAGE: Own = [401, 303, 303, 303, 303, 303];
const PUBLIC_NOT_FOUND: Own = [404, 404, 404, 404, 404, 404];
const PUBLIC_BAD_REQUEST: Own = [400, 400, 400, 400, 400, 400];

/// One plain route: "METHOD /template" as `skillmap routes` lists it, the
/// URL to ask for, and the status each caller should get.
struct RouteCase(&'static str, String, Row);

/// An organisation's own skills: one domain, one skill.
const OWN_SKILLS: &str = "domain_code,domain_name,skill_code,skill_name,description,foundation,\
level_1_awareness,level_2_working,level_3_practitioner,level_4_expert
LOCAL,Our own skills,LOCAL-EPR,EPR super-user,Helps colleagues with the EPR.,no,Knows who helps,\
Answers everyday questions,Trains a ward,Shapes how the EPR is set up
";

const OTHER_MANAGER: &str = "other.manager@skillmap.example";
const OTHER_PASSWORD: &str = "another long passphrase";

#[tokio::test]
async fn every_server_function_authorizes_every_caller() {
    // Two organisations: the first with the demo log-ins, the second with
    // its own HR and administrator.
    let app = TestServer::start_system(2, 240, &[("SKILLMAP_LOGIN_BURST", "100")]);

    // A manager of another team: the lead of a sibling ward, found through
    // the admin's view of the organisation.
    let admin = app.login_demo(ADMIN).await;
    let staff = app.login_demo(STAFF).await;
    let manager = app.login_demo(MANAGER).await;
    let staff_me = app.whoami(&staff).await;
    assert!(staff_me.is_object(), "staff signed in: {staff_me}");
    let manager_me = app.whoami(&manager).await;
    let staff_person = staff_me["person_id"].as_i64().unwrap().to_string();
    let staff_account = staff_me["account_id"].as_i64().unwrap().to_string();
    let mgr = app
        .call(
            &admin,
            "/api/people/detail",
            &[("person_id", &manager_me["person_id"].to_string())],
        )
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let gm_id = mgr["line_manager"]["id"].to_string();
    let gm = app
        .call(&admin, "/api/people/detail", &[("person_id", &gm_id)])
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let other_lead = gm["direct_reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] != manager_me["person_id"])
        .expect("another team lead");
    let (ok, out) = cli(
        &app.db,
        &[
            "create-user",
            "--email",
            OTHER_MANAGER,
            "--role",
            "manager",
            "--employee-number",
            other_lead["employee_number"].as_str().unwrap(),
        ],
        &[("SKILLMAP_PASSWORD", OTHER_PASSWORD)],
    );
    assert!(ok, "{out}");

    // The staff member has assessed one skill, for their manager to agree.
    let res = app
        .call(
            &staff,
            "/api/profile/save",
            &[
                ("skill_code", "DIG-FOUND"),
                ("level", "2"),
                ("revision", "0"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // The administrator's draft of their organisation's own skills (with
    // two organisations, the only framework they may upload).
    let res = app
        .call(
            &admin,
            "/api/framework/upload",
            &[("document", OWN_SKILLS), ("scope", "own")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let own_draft = res.text().await.unwrap().trim().to_string();

    // The staff member has accepted a learning pathway.
    let mine: serde_json::Value = app
        .call(&staff, "/api/learning/mine", &[])
        .await
        .json()
        .await
        .unwrap();
    let plan: Vec<String> = mine["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["resource"]["id"].to_string())
        .collect();
    let res = app
        .call(&staff, "/api/learning/accept", &[("plan", &plan.join(","))])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mine: serde_json::Value = app
        .call(&staff, "/api/learning/mine", &[])
        .await
        .json()
        .await
        .unwrap();
    let staff_step = mine["pathway"]["steps"][0]["id"].to_string();

    // The manager's own unit, which they lead.
    let manager_person = manager_me["person_id"].to_string();
    let report: serde_json::Value = app
        .call(&manager, "/api/team/organisation", &[])
        .await
        .json()
        .await
        .unwrap();
    let manager_unit = report["unit"]["id"].to_string();

    let mut clients: BTreeMap<Caller, Client> = BTreeMap::new();
    clients.insert(Caller::Anonymous, app.client());
    clients.insert(Caller::Staff, staff);
    clients.insert(
        Caller::OtherManager,
        app.login(OTHER_MANAGER, OTHER_PASSWORD).await,
    );
    clients.insert(Caller::Manager, manager);
    clients.insert(Caller::Hr, app.login_demo(HR).await);
    clients.insert(Caller::Admin, admin);
    clients.insert(Caller::OtherHr, app.login_demo(OTHER_HR).await);
    clients.insert(Caller::OtherAdmin, app.login_demo(OTHER_ADMIN).await);
    clients.insert(Caller::Lead, app.login_demo(LEAD).await);

    // The plain routes first: log-out, last of the server functions, ends
    // the sessions.
    let routes: Vec<RouteCase> = vec![
        RouteCase("GET /healthz", "/healthz".into(), same(PUBLIC)),
        RouteCase("GET /readyz", "/readyz".into(), same(PUBLIC)),
        RouteCase(
            "GET /framework/export.json",
            "/framework/export.json".into(),
            same(DOWNLOAD_ANY_USER),
        ),
        RouteCase(
            "GET /framework/export.csv",
            "/framework/export.csv".into(),
            same(DOWNLOAD_ANY_USER),
        ),
        RouteCase(
            "GET /admin/import/templates/{file}",
            "/admin/import/templates/staff.csv".into(),
            same(DOWNLOAD_HR_ADMIN),
        ),
        RouteCase(
            "GET /admin/import/{id}/problems.csv",
            "/admin/import/999999/problems.csv".into(),
            same(DOWNLOAD_HR_ADMIN_NOT_FOUND),
        ),
        RouteCase(
            "GET /team/heatmap.csv",
            format!("/team/heatmap.csv?manager={manager_person}"),
            theirs(DOWNLOAD_TEAM),
        ),
        RouteCase(
            "GET /learning/catalogue.csv",
            "/learning/catalogue.csv".into(),
            same(DOWNLOAD_HR_ADMIN),
        ),
        // The expertise directory's download: HR and administrators.
        RouteCase(
            "GET /find.csv",
            "/find.csv?skill=DAT-VIS&level=1".into(),
            same(DOWNLOAD_HR_ADMIN),
        ),
        RouteCase(
            "GET /admin/audit.csv",
            "/admin/audit.csv".into(),
            same(DOWNLOAD_HR_ADMIN),
        ),
        RouteCase(
            "GET /my-data/skillmap-my-data.zip",
            "/my-data/skillmap-my-data.zip".into(),
            same(DOWNLOAD_ANY_USER),
        ),
        // A person's skills passport: downloaded only with the consent box
        // ticked, uploaded only with a file (both go back to the page,
        // saying what is missing); signed out, refused.
        RouteCase(
            "POST /my-data/skills-passport.jwt",
            "/my-data/skills-passport.jwt".into(),
            same(SIGNED_IN_BACK_TO_PAGE),
        ),
        RouteCase(
            "POST /my-data/passport/upload",
            "/my-data/passport/upload".into(),
            same(SIGNED_IN_BACK_TO_PAGE),
        ),
        RouteCase("GET /issuer", "/issuer".into(), same(PUBLIC)),
        RouteCase(
            "GET /issuer/keys/{kid}",
            "/issuer/keys/no-such-key".into(),
            same(PUBLIC_NOT_FOUND),
        ),
        RouteCase("GET /issuer/{code}", "/issuer/RNF".into(), same(PUBLIC)),
        RouteCase(
            "GET /issuer/{code}/keys/{kid}",
            "/issuer/RNF/keys/no-such-key".into(),
            same(PUBLIC_NOT_FOUND),
        ),
        RouteCase(
            "GET /badges/{id}/credential.jwt",
            "/badges/999999/credential.jwt".into(),
            same(DOWNLOAD_OWN),
        ),
        RouteCase("POST /verify", "/verify".into(), same(PUBLIC_BACK_TO_PAGE)),
        RouteCase(
            "POST /verify/upload",
            "/verify/upload".into(),
            same(PUBLIC_BACK_TO_PAGE),
        ),
        RouteCase(
            "POST /admin/import/links.csv",
            "/admin/import/links.csv".into(),
            same(HR_ADMIN),
        ),
        // Single sign-on: starting and finishing are public (a provider
        // that is not configured sends everyone back to the sign-in page);
        // a logout token that is not the provider's is refused for all.
        RouteCase(
            "GET /auth/sso/{provider}",
            "/auth/sso/nope".into(),
            same(PUBLIC_BACK_TO_PAGE),
        ),
        RouteCase(
            "GET /auth/sso/{provider}/callback",
            "/auth/sso/nope/callback?state=x&code=y".into(),
            same(PUBLIC_BACK_TO_PAGE),
        ),
        RouteCase(
            "POST /auth/sso/{provider}/backchannel-logout",
            "/auth/sso/nope/backchannel-logout".into(),
            same(PUBLIC_BAD_REQUEST),
        ),
    ];
    let mut failures = Vec::new();
    println!(
        "{:<36} {}",
        "plain route",
        HEADINGS
            .iter()
            .map(|h| format!("{h:>6}"))
            .collect::<String>()
    );
    for RouteCase(route, url, expected) in &routes {
        let expected = full(expected, lead_expected(route));
        let mut got = [0u16; 9];
        for (i, caller) in CALLERS.iter().enumerate() {
            let client = &clients[caller];
            let request = match route.split_once(' ') {
                Some(("GET", _)) => client.get(app.url(url)),
                Some(("POST", "/verify/upload" | "/my-data/passport/upload")) => client
                    .post(app.url(url))
                    .multipart(reqwest::multipart::Form::new().part(
                        "file",
                        reqwest::multipart::Part::bytes(Vec::new()).file_name("empty.jwt"),
                    )),
                Some(("POST", r)) if r.ends_with("/backchannel-logout") => client
                    .post(app.url(url))
                    .form(&[("logout_token", "not.a.token")]),
                _ => client.post(app.url(url)).form(&[("credential", "")]),
            };
            got[i] = request.send().await.unwrap().status().as_u16();
            if got[i] != expected[i] {
                failures.push(format!(
                    "{route} as {caller:?}: expected {}, got {}",
                    expected[i], got[i]
                ));
            }
        }
        println!("{route:<36} {}", columns(&got));
    }

    // Log-out comes last: it ends the sessions.
    let matrix: Vec<Case> = vec![
        Case(
            "/api/auth/login",
            vec![
                ("email", STAFF.into()),
                ("password", "wrong password".into()),
            ],
            same(LOGIN_REFUSED),
        ),
        Case("/api/auth/whoami", vec![], same(PUBLIC)),
        Case("/api/auth/sign_in_choices", vec![], same(PUBLIC)),
        // Opening password sign-in (already open) changes nothing.
        Case(
            "/api/admin/set_password_sign_in",
            vec![("everyone", "true".into())],
            same(ADMIN_ONLY),
        ),
        Case(
            "/api/admin/set_break_glass",
            vec![("account_id", "999999".into()), ("on", "true".into())],
            same(ADMIN_NOT_FOUND),
        ),
        Case(
            "/api/admin/remove_sso_link",
            vec![("link_id", "999999".into())],
            same(ADMIN_NOT_FOUND),
        ),
        Case(
            "/api/auth/set_password",
            vec![
                ("token", "not-a-real-token".into()),
                ("password", "a long enough passphrase".into()),
                ("confirm", "a long enough passphrase".into()),
            ],
            same(ANYONE_BAD_INPUT),
        ),
        Case("/api/home/overview", vec![], same(ANY_USER)),
        Case(
            "/api/people/detail",
            vec![("person_id", staff_person.clone())],
            theirs(PERSON),
        ),
        Case(
            "/api/admin/accounts",
            vec![("query", String::new())],
            same(ADMIN_ONLY),
        ),
        Case(
            "/api/admin/set_account_disabled",
            vec![
                ("account_id", staff_account.clone()),
                ("disabled", "false".into()),
            ],
            theirs(ADMIN_ONLY),
        ),
        Case(
            "/api/framework/current",
            vec![("query", "data".into())],
            same(ANY_USER),
        ),
        Case(
            "/api/profile/get",
            vec![("person_id", staff_person.clone())],
            theirs(PERSON),
        ),
        // Everyone may save their own assessment (here refused only as
        // an unknown skill, after authorization; saving works in profile.rs).
        Case(
            "/api/profile/save",
            vec![
                ("skill_code", "NOT-A-SKILL".into()),
                ("level", "2".into()),
                ("revision", "0".into()),
            ],
            same(SIGNED_IN_BAD_INPUT),
        ),
        // Only the staff member's managers may agree their level.
        Case(
            "/api/profile/review",
            vec![
                ("person_id", staff_person.clone()),
                ("skill_code", "DIG-FOUND".into()),
                ("decision", "agree".into()),
                ("revision", "1".into()),
            ],
            with(MANAGER_ONLY, 404, 404),
        ),
        Case(
            "/api/profile/history",
            vec![("person_id", staff_person.clone())],
            theirs(PERSON),
        ),
        Case("/api/profile/pending", vec![], same(ANY_USER)),
        // Skills reviews: each person their own; counts as the
        // organisation view allows; the cycle an administrator's.
        Case("/api/profile/review_status", vec![], same(ANY_USER)),
        Case("/api/profile/review_form", vec![], same(ANY_USER)),
        Case(
            "/api/profile/complete_review",
            vec![("answers[NOT-A-SKILL]", "keep".into())],
            same(SIGNED_IN_BAD_INPUT),
        ),
        Case("/api/profile/overdue_reviews", vec![], same(ANY_USER)),
        Case(
            "/api/profile/review_counts",
            vec![("unit", manager_unit.clone())],
            theirs(TEAM),
        ),
        Case("/api/profile/review_cycle", vec![], same(ADMIN_ONLY)),
        Case(
            "/api/profile/save_review_cycle",
            vec![
                ("months", "soon".into()),
                ("remind_before_days", "14".into()),
                ("remind_after_days", "7".into()),
            ],
            same(ADMIN_BAD_INPUT),
        ),
        Case(
            "/api/profile/set_fixed_date",
            vec![("unit_id", String::new()), ("date", "31/03/2027".into())],
            same(ADMIN_BAD_INPUT),
        ),
        Case(
            "/api/profile/remove_fixed_date",
            vec![("unit_id", "999999".into())],
            same(ADMIN_NOT_FOUND),
        ),
        Case("/api/roles/list", vec![], same(ANY_USER)),
        Case(
            "/api/roles/detail",
            vec![("role_id", "1".into())],
            theirs(ANY_USER),
        ),
        // Refused as bad input once past the guard: nothing is changed.
        Case(
            "/api/roles/save",
            vec![
                ("code", String::new()),
                ("title", String::new()),
                ("staff_group", String::new()),
                ("band", String::new()),
            ],
            same(HR_ADMIN_BAD_INPUT),
        ),
        Case(
            "/api/roles/set_requirement",
            vec![
                ("role_id", "1".into()),
                ("skill_code", "DIG-FOUND".into()),
                ("level", "9".into()),
            ],
            theirs(HR_ADMIN_BAD_INPUT),
        ),
        Case(
            "/api/roles/remove_requirement",
            vec![
                ("role_id", "1".into()),
                ("skill_code", "NOT-A-SKILL".into()),
            ],
            theirs(HR_ADMIN_NOT_FOUND),
        ),
        Case(
            "/api/framework/upload",
            vec![("document", "not a framework".into())],
            same(ADMIN_BAD_INPUT),
        ),
        Case(
            "/api/framework/preview",
            vec![("draft_id", "999".into())],
            same(ADMIN_NOT_FOUND),
        ),
        // A draft of the first organisation's own skills: theirs alone
        // (the lead, who publishes the shared framework, is told it is not
        // found too).
        Case(
            "/api/framework/preview",
            vec![("draft_id", own_draft.clone())],
            theirs(ADMIN_ONLY),
        ),
        Case("/api/framework/admin", vec![], same(ADMIN_ONLY)),
        Case(
            "/api/framework/publish",
            vec![("draft_id", "999".into())],
            same(ADMIN_NOT_FOUND),
        ),
        Case(
            "/api/people/search",
            vec![("query", "a".into())],
            same(HR_ADMIN),
        ),
        // Multipart (as the upload form sends it); a file with errors is
        // still accepted as a rejected import to look at.
        Case("/api/import/upload", vec![], same(HR_ADMIN)),
        Case(
            "/api/import/job",
            vec![("job_id", "999".into())],
            same(HR_ADMIN_NOT_FOUND),
        ),
        Case(
            "/api/import/progress",
            vec![("job_id", "999".into())],
            same(HR_ADMIN_NOT_FOUND),
        ),
        Case(
            "/api/import/commit",
            vec![("job_id", "999".into())],
            same(HR_ADMIN_NOT_FOUND),
        ),
        Case("/api/import/history", vec![], same(HR_ADMIN)),
        // A manager's team and unit: not a sibling team's manager.
        Case(
            "/api/team/heatmap",
            vec![("manager", manager_person.clone())],
            theirs(TEAM),
        ),
        Case("/api/team/managers", vec![], same(HR_ADMIN)),
        Case("/api/team/legend", vec![], same(ANY_USER)),
        // The people behind the pipeline: as the organisation view.
        Case(
            "/api/team/pipeline_people",
            vec![("unit", manager_unit.clone()), ("group", "leaders".into())],
            theirs(TEAM),
        ),
        // The expertise directory: anyone signed in searches it; each
        // person sets their own interests and listing.
        Case("/api/expertise/find", vec![], same(ANY_USER)),
        Case("/api/expertise/interests", vec![], same(ANY_USER)),
        Case(
            "/api/expertise/save_interests",
            vec![("develop[NOT-A-SKILL]", "on".into())],
            same(SIGNED_IN_BAD_INPUT),
        ),
        Case(
            "/api/expertise/save_listing",
            vec![("listed", "maybe".into())],
            same(SIGNED_IN_BAD_INPUT),
        ),
        Case(
            "/api/team/organisation",
            vec![("unit", manager_unit.clone())],
            theirs(TEAM),
        ),
        // Learning: a person's own pathway; the manager sees their team's
        // progress; HR and administrators keep the catalogue.
        Case("/api/learning/mine", vec![], same(ANY_USER)),
        Case(
            "/api/learning/accept",
            vec![("plan", "0".into())],
            same(SIGNED_IN_CONFLICT),
        ),
        Case(
            "/api/learning/step",
            vec![("step_id", staff_step.clone()), ("action", "start".into())],
            theirs(OWN_STEP),
        ),
        Case(
            "/api/learning/add_mentor",
            vec![
                ("mentor_id", "999999".into()),
                ("skill_code", "DAT-VIS".into()),
            ],
            same(SIGNED_IN_BAD_INPUT),
        ),
        Case("/api/learning/mentoring", vec![], same(ANY_USER)),
        Case(
            "/api/learning/team",
            vec![("manager", manager_person.clone())],
            theirs(TEAM),
        ),
        Case("/api/learning/uptake", vec![], same(HR_ADMIN)),
        // The audit trail: HR and administrators search it.
        Case("/api/audit/search", vec![], same(HR_ADMIN)),
        // The job queue: administrators see it and try dead jobs again
        // (this one never died: a conflict, after the guard).
        Case("/api/audit/jobs", vec![], same(ADMIN_ONLY)),
        Case(
            "/api/audit/retry_job",
            vec![("id", "999999".into())],
            same(ADMIN_CONFLICT),
        ),
        // Notifications: each person their own; someone else's notice (or
        // none) is not found.
        Case("/api/notifications/inbox", vec![], same(ANY_USER)),
        Case(
            "/api/notifications/open",
            vec![("id", "999999".into())],
            same(SIGNED_IN_NOT_FOUND),
        ),
        Case(
            "/api/notifications/mark",
            vec![("id", "999999".into())],
            same(SIGNED_IN_NOT_FOUND),
        ),
        Case("/api/notifications/preferences", vec![], same(ANY_USER)),
        Case(
            "/api/notifications/save_preferences",
            vec![],
            same(ANY_USER),
        ),
        // Data rights: HR and administrators erase leavers and review
        // long-disabled accounts (a person's own download is a GET route).
        Case(
            "/api/privacy/erase_preview",
            vec![("person_id", staff_person.clone())],
            theirs(HR_ADMIN),
        ),
        Case(
            "/api/privacy/erase",
            vec![
                ("person_id", staff_person.clone()),
                ("confirm", String::new()),
            ],
            theirs(HR_ADMIN_BAD_INPUT),
        ),
        Case("/api/privacy/retention", vec![], same(HR_ADMIN)),
        // A person's own uploaded skills passport: anyone else's (here, an
        // id that is no one's) is not found.
        Case(
            "/api/privacy/passport_preview",
            vec![("upload_id", "999999".into())],
            same(SIGNED_IN_NOT_FOUND),
        ),
        Case(
            "/api/privacy/passport_import",
            vec![("upload_id", "999999".into())],
            same(SIGNED_IN_NOT_FOUND),
        ),
        // Moving someone to another organisation of the system: HR and
        // administrators of theirs (an empty confirmation moves no one).
        Case(
            "/api/people/move_preview",
            vec![("person_id", staff_person.clone())],
            theirs(HR_ADMIN),
        ),
        Case(
            "/api/people/move",
            vec![
                ("person_id", staff_person.clone()),
                ("confirm", String::new()),
            ],
            theirs(HR_ADMIN_BAD_INPUT),
        ),
        Case("/api/learning/catalogue", vec![], same(ANY_USER)),
        Case(
            "/api/learning/resource",
            vec![("resource_id", "1".into())],
            same(ANY_USER),
        ),
        Case(
            "/api/learning/save_resource",
            vec![
                ("code", String::new()),
                ("title", String::new()),
                ("provider", String::new()),
                ("url", String::new()),
                ("format", String::new()),
                ("minutes", String::new()),
                ("cost", String::new()),
                ("description", String::new()),
                ("skills", String::new()),
            ],
            same(HR_ADMIN_BAD_INPUT),
        ),
        Case(
            "/api/learning/remove_resource",
            vec![("resource_id", "999999".into())],
            same(HR_ADMIN_NOT_FOUND),
        ),
        // Multipart, as the import form sends it: a file with problems.
        Case("/api/learning/import", vec![], same(HR_ADMIN_BAD_INPUT)),
        // Badges: the holder, their managers and HR see them; only the
        // holder hides one; HR and administrators revoke; anyone verifies.
        Case(
            "/api/recognition/badges",
            vec![("person_id", staff_person.clone())],
            theirs(PERSON),
        ),
        Case(
            "/api/recognition/hide",
            vec![("badge_id", "999999".into()), ("hidden", "true".into())],
            same(SIGNED_IN_NOT_FOUND),
        ),
        Case(
            "/api/recognition/revoke",
            vec![("badge_id", "999999".into()), ("reason", "test".into())],
            same(HR_ADMIN_NOT_FOUND),
        ),
        Case(
            "/api/recognition/verify",
            vec![("credential", "not.a.credential".into())],
            same(PUBLIC),
        ),
        // Endorsements and awards: the recipient hides theirs; anyone signed
        // in finds colleagues and endorses (not themself); the team page is
        // the manager's, the report HR's; administrators keep award kinds.
        Case(
            "/api/recognition/hide_item",
            vec![("item_id", "999999".into()), ("hidden", "true".into())],
            same(SIGNED_IN_NOT_FOUND),
        ),
        Case(
            "/api/recognition/colleagues",
            vec![("query", "an".into())],
            same(ANY_USER),
        ),
        Case(
            "/api/recognition/gift_form",
            vec![("person_id", staff_person.clone())],
            theirs(NOT_SELF),
        ),
        Case(
            "/api/recognition/give",
            vec![
                ("person_id", staff_person.clone()),
                ("kind", "endorsement".into()),
            ],
            theirs(SIGNED_IN_BAD_INPUT),
        ),
        Case(
            "/api/recognition/team",
            vec![("manager", manager_person.clone())],
            theirs(TEAM),
        ),
        Case("/api/recognition/report", vec![], same(HR_ADMIN)),
        Case("/api/recognition/award_kinds", vec![], same(ANY_USER)),
        Case(
            "/api/recognition/save_award_kind",
            vec![("name", String::new())],
            same(ADMIN_BAD_INPUT),
        ),
        Case("/api/auth/logout", vec![], same(ANY_USER)),
    ];

    // Every registered server function and plain route is in the tables,
    // and nothing else.
    let (ok, listed) = cli(&app.db, &["routes"], &[]);
    assert!(ok, "{listed}");
    let mut registered: Vec<String> = listed
        .lines()
        .filter(|l| l.starts_with("POST ") || l.starts_with("GET "))
        .map(str::to_string)
        .collect();
    registered.sort();
    let mut covered: Vec<String> = matrix
        .iter()
        .map(|Case(p, _, _)| format!("POST {p}"))
        .chain(routes.iter().map(|RouteCase(r, _, _)| r.to_string()))
        .collect();
    covered.sort();
    // A server function may have more than one case (an id that does not
    // exist, and one of another organisation).
    covered.dedup();
    assert_eq!(
        registered, covered,
        "routes and the authorization matrix differ: add new ones to the matrix"
    );

    println!(
        "{:<36} {}",
        "server function",
        HEADINGS
            .iter()
            .map(|h| format!("{h:>6}"))
            .collect::<String>()
    );
    for Case(path, args, expected) in &matrix {
        let expected = full(expected, lead_expected(path));
        let mut got = [0u16; 9];
        for (i, caller) in CALLERS.iter().enumerate() {
            let form: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let status = if *path == "/api/learning/import" {
                app.upload_to(
                    &clients[caller],
                    path,
                    &[],
                    "catalogue.csv",
                    b"Code,Title\nLR-1,No provider or skills\n".to_vec(),
                )
                .await
                .status()
            } else if *path == "/api/import/upload" {
                app.upload(
                    &clients[caller],
                    "staff",
                    "bad.csv",
                    b"not,a,staff,file\n1,2,3,4\n".to_vec(),
                )
                .await
                .status()
            } else {
                app.call(&clients[caller], path, &form).await.status()
            };
            got[i] = status.as_u16();
            if got[i] != expected[i] {
                failures.push(format!(
                    "{path} as {caller:?}: expected {}, got {}",
                    expected[i], got[i]
                ));
            }
        }
        println!("{path:<36} {}", columns(&got));
    }
    assert!(
        failures.is_empty(),
        "authorization matrix failures:\n{}",
        failures.join("\n")
    );

    // After log-out every client is anonymous again.
    for caller in CALLERS {
        let res = app.call(&clients[&caller], "/api/home/overview", &[]).await;
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "{caller:?} after log-out"
        );
    }
}

/// Every server function, sent nothing or the wrong kind of body: a
/// signed-out caller is told to sign in (401) before anything about its
/// input, unless the function is public; a signed-in caller gets 400 with
/// the missing field named, or the function's own answer; nobody gets a
/// 500 or a dropped connection.
#[tokio::test]
async fn bad_arguments_get_400_naming_the_field_and_401_first() {
    let app = TestServer::start_with(&[("SKILLMAP_LOGIN_BURST", "100")]);
    let (ok, listed) = cli(&app.db, &["server-fns"], &[]);
    assert!(ok, "{listed}");
    let paths: Vec<String> = listed
        .lines()
        .filter_map(|l| l.strip_prefix("POST "))
        .map(str::to_string)
        .filter(|p| p != "/api/auth/logout")
        .collect();
    assert!(paths.len() > 50, "{listed}");
    let public = [
        "/api/auth/login",
        "/api/auth/whoami",
        "/api/auth/set_password",
        "/api/auth/sign_in_choices",
        "/api/recognition/verify",
    ];
    let anonymous = app.client();
    let staff = app.login_demo(STAFF).await;
    let bodies: [(&str, &str); 3] = [
        ("application/x-www-form-urlencoded", ""),
        ("application/json", "{\"anything\": [1, 2]}"),
        ("text/plain", "not a form at all"),
    ];
    let mut failures = Vec::new();
    for path in &paths {
        for (content_type, body) in bodies {
            for (who, client) in [("anonymous", &anonymous), ("staff", &staff)] {
                let sent = client
                    .post(app.url(path))
                    .header("content-type", content_type)
                    .body(body)
                    .send()
                    .await;
                let res = match sent {
                    Ok(res) => res,
                    Err(e) => {
                        failures.push(format!("{path} {content_type} as {who}: no answer ({e})"));
                        continue;
                    }
                };
                let status = res.status().as_u16();
                let text = res.text().await.unwrap_or_default();
                let is_public = public.contains(&path.as_str());
                let fine = match (who, status) {
                    (_, 500..) => false,
                    ("anonymous", 401) => true,
                    ("anonymous", _) if !is_public => false,
                    (_, 400) => text.contains("missing") || text.contains("could not be read"),
                    _ => true,
                };
                if !fine {
                    failures.push(format!("{path} {content_type} as {who}: {status} {text}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "bad arguments:\n{}",
        failures.join("\n")
    );

    // Letters where a number belongs, signed in: 400 naming it, not 500.
    let res = app
        .call(&staff, "/api/people/detail", &[("person_id", "abc")])
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let text = res.text().await.unwrap();
    assert!(text.contains("person_id"), "{text}");
    // An unknown choice: 400 naming it.
    let res = app
        .call(
            &staff,
            "/api/profile/review",
            &[
                ("person_id", "1"),
                ("skill_code", "DIG-FOUND"),
                ("decision", "maybe"),
                ("revision", "1"),
            ],
        )
        .await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(
        status == StatusCode::BAD_REQUEST && text.contains("maybe")
            || status == StatusCode::FORBIDDEN,
        "{status} {text}"
    );
}
