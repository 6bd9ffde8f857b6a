//! Throwaway databases for service tests: a fresh SQLite file with the real
//! migrations applied, or a fresh PostgreSQL database when
//! `TEST_DATABASE_URL` points at one.

use chrono::Utc;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveModelTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, EntityTrait,
    Set,
};

use crate::auth::model::{CurrentUser, Role};
use crate::entities::{job_role, org_unit, person};
use crate::kernel::audit::Actor;
use crate::profile::model::{Decision, SelfAssessmentInput};
use crate::profile::service as profile;

pub struct TestDb {
    pub db: DatabaseConnection,
    _dir: tempfile::TempDir,
    /// (server URL, database name) of a PostgreSQL database to drop.
    postgres: Option<(String, String)>,
}

pub async fn test_db() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, postgres) = match std::env::var("TEST_DATABASE_URL") {
        Ok(server) if server.starts_with("postgres") => {
            let name = format!(
                "skillmap_unit_{}",
                &crate::kernel::session::new_token()[..16]
            );
            let admin = Database::connect(&server)
                .await
                .expect("connect to TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server);
            (format!("{base}/{name}"), Some((server.clone(), name)))
        }
        _ => (
            format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()),
            None,
        ),
    };
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(2).sqlx_logging(false);
    opts.map_sqlx_sqlite_opts(|o| o.foreign_keys(true));
    let db = Database::connect(opts).await.expect("connect");
    Migrator::up(&db, None).await.expect("migrations");
    TestDb {
        db,
        _dir: dir,
        postgres,
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which this thread blocks:
        // clean up from a runtime of its own, and let FORCE end the pool's
        // connections (closing the pool here would wait on the blocked one).
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(admin) = Database::connect(&server).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    admin.close().await.ok();
                }
            });
        })
        .join();
    }
}

/// The organisation every fresh database has (the migration makes it):
/// test fixtures belong to it.
pub const ORG: i32 = 1;

/// A tiny organisation: one team, a manager `m` with a report `a` who
/// manages `b`, and `c` elsewhere in the same team with no relation.
pub struct Tiny {
    pub m: i32,
    pub a: i32,
    pub b: i32,
    pub c: i32,
}

/// A team of organisation `org` (below `parent`, if any): its id.
pub async fn team_unit(
    db: &DatabaseConnection,
    org: i32,
    parent: Option<i32>,
    code: &str,
    name: &str,
) -> i32 {
    org_unit::ActiveModel {
        organisation_id: Set(org),
        parent_id: Set(parent),
        code: Set(code.into()),
        name: Set(name.into()),
        kind: Set("team".into()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

pub async fn tiny_org(db: &DatabaseConnection) -> Tiny {
    let unit = team_unit(db, ORG, None, "T1", "Team").await;
    let role = job_role::ActiveModel {
        organisation_id: Set(ORG),
        code: Set("R1".into()),
        title: Set("Staff Nurse".into()),
        staff_group: Set("Nursing and Midwifery Registered".into()),
        band: Set("Band 5".into()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let add = async |n: &str, manager: Option<i32>| {
        nurse(db, (ORG, unit), n, Some(role.id), manager).await
    };
    let m = add("m", None).await;
    let a = add("a", Some(m)).await;
    let b = add("b", Some(a)).await;
    let c = add("c", None).await;
    Tiny { m, a, b, c }
}

/// Another organisation of the deployment, "Other Trust" (code OTHER), with
/// one team of its own: for tests that one organisation's data stays its
/// own.
pub struct Other {
    pub org: i32,
    pub unit: i32,
}

pub async fn other_org(db: &DatabaseConnection) -> Other {
    let org = crate::kernel::tenant::create(db, "OTHER", "Other Trust")
        .await
        .unwrap()
        .id;
    let unit = team_unit(db, org, None, "OTHER-T1", "Other team").await;
    Other { org, unit }
}

impl Other {
    /// A registered nurse in the other organisation's team, employee number
    /// and given name `n`, family name "Test" (as the tiny organisation's
    /// people, so a search for them would find this one too), no job role.
    pub async fn person(&self, db: &DatabaseConnection, n: &str, manager: Option<i32>) -> i32 {
        nurse(db, (self.org, self.unit), n, None, manager).await
    }
}

/// A registered nurse (Band 5) in `unit` of organisation `org`: employee
/// number and given name `n`, family name "Test".
async fn nurse(
    db: &DatabaseConnection,
    (org, unit): (i32, i32),
    n: &str,
    role: Option<i32>,
    manager: Option<i32>,
) -> i32 {
    person::ActiveModel {
        organisation_id: Set(org),
        employee_number: Set(n.into()),
        given_name: Set(n.into()),
        family_name: Set("Test".into()),
        email: Set(None),
        staff_group: Set("Nursing and Midwifery Registered".into()),
        band: Set("Band 5".into()),
        org_unit_id: Set(unit),
        job_role_id: Set(role),
        line_manager_id: Set(manager),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

// Fixtures for tests that need people with assessed and agreed skills: a
// user of a role, a self-assessment and a manager's agreement made through
// the profile service, as the pages make them.

pub fn user(person: i32, role: Role) -> CurrentUser {
    CurrentUser {
        account_id: person,
        person_id: Some(person),
        email: format!("p{person}@example.org"),
        display_name: format!("Person {person}"),
        role,
        organisation_id: Some(ORG),
    }
}

/// The system's workforce lead: an account of no organisation and no
/// person.
pub fn lead() -> CurrentUser {
    CurrentUser {
        role: Role::Lead,
        organisation_id: None,
        person_id: None,
        ..user(0, Role::Lead)
    }
}

/// The unit a person belongs to.
pub async fn unit_of(db: &DatabaseConnection, person_id: i32) -> i32 {
    person::Entity::find_by_id(person_id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .org_unit_id
}

pub async fn assess(db: &DatabaseConnection, who: i32, skill: &str, level: u8) {
    let current = profile::profile(db, who, &user(who, Role::Staff))
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|i| i.skill.code == skill)
        .and_then(|i| i.assessment)
        .map(|a| a.revision)
        .unwrap_or(0);
    let input = SelfAssessmentInput {
        skill_code: skill.into(),
        level: Some(level),
        confidence: Some(2),
        evidence: String::new(),
        evidence_url: String::new(),
        revision: current,
    };
    profile::save_self(db, who, &user(who, Role::Staff), &input)
        .await
        .unwrap();
}

pub async fn agree(db: &DatabaseConnection, manager: i32, who: i32, skill: &str) {
    let revision = profile::profile(db, who, &user(manager, Role::Manager))
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|i| i.skill.code == skill)
        .and_then(|i| i.assessment)
        .unwrap()
        .revision;
    profile::review(
        db,
        Actor::system(),
        who,
        &user(manager, Role::Manager),
        skill,
        Decision::Agree,
        None,
        "",
        revision,
    )
    .await
    .unwrap();
}

pub async fn role_id(db: &DatabaseConnection) -> i32 {
    job_role::Entity::find().one(db).await.unwrap().unwrap().id
}
