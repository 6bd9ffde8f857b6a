//! Imports against the database: load what the checks need, record each
//! file as a job, and apply a checked file in one transaction (all of it or
//! none of it). The browser and the command line both come through here.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, Statement,
    TransactionSession,
};

use super::check::{
    AccountRecord, Action, Importer, OrgRecord, OrgRow, PersonRecord, Plan, RoleRecord, RoleRow,
    Rows, Snapshot, StaffRow, check, managers_first,
};
use super::model::{Counts, JobRow, JobView, Kind, PROBLEMS_SHOWN, Problem, Progress, Status};
use crate::audit::model::Action as Audited;
use crate::auth::model::Role;
use crate::entities::{account, import_job, job_role, org_unit, person, role_requirement, skill};
use crate::error::AppError;
use crate::kernel::audit;
use crate::kernel::csv::SafeCsv;
use crate::kernel::table::{Limits, ReadError, Table, read_checked};

/// Rows written per statement: well under SQLite's and PostgreSQL's limits
/// on bound values (11 columns x 1,000).
const CHUNK: usize = 1_000;

/// Imports running in this server, for the progress bar.
#[derive(Default)]
pub struct Running(Mutex<HashMap<i32, Progress>>);

impl Running {
    pub fn get(&self, id: i32) -> Option<Progress> {
        self.0.lock().ok()?.get(&id).copied()
    }

    /// Marks a job as running; false when it already is.
    pub fn start(&self, id: i32) -> bool {
        match self.0.lock() {
            Ok(mut map) => match map.entry(id) {
                std::collections::hash_map::Entry::Occupied(_) => false,
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(Progress::default());
                    true
                }
            },
            Err(_) => false,
        }
    }

    pub fn set(&self, id: i32, progress: Progress) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(id, progress);
        }
    }

    pub fn finish(&self, id: i32) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(&id);
        }
    }
}

/// Reads a file into a table off the async workers: a large spreadsheet
/// takes seconds of CPU to unpack and parse, which would otherwise stall
/// every request sharing the worker. Also for the learning catalogue.
pub async fn read_file(
    bytes: Arc<Vec<u8>>,
    file_name: &str,
    limits: Limits,
) -> Result<Result<Table, ReadError>, AppError> {
    let name = file_name.to_string();
    tokio::task::spawn_blocking(move || read_checked(&bytes, &name, limits))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "reading an uploaded file stopped");
            AppError::Internal
        })
}

/// Reads and checks a file against the database as it is now. A file too
/// large to read is a problem with the file here, as one that cannot be
/// read is (`upload` refuses it outright instead).
pub async fn check_file(
    db: &impl ConnectionTrait,
    org: i32,
    kind: Kind,
    file_name: &str,
    bytes: Arc<Vec<u8>>,
    limits: Limits,
    importer: Importer,
) -> Result<(Plan, Snapshot), AppError> {
    let table = read_file(bytes, file_name, limits)
        .await?
        .map_err(Problem::from);
    check_table(db, org, kind, table, importer).await
}

/// Checks what was read against the database as it is now, off the async
/// workers (checking 200,000 rows takes seconds). A file that could not be
/// read is a plan with that one problem.
async fn check_table(
    db: &impl ConnectionTrait,
    org: i32,
    kind: Kind,
    table: Result<Table, Problem>,
    importer: Importer,
) -> Result<(Plan, Snapshot), AppError> {
    let table = match table {
        Ok(t) => t,
        Err(problem) => {
            let plan = Plan {
                rows: Rows::Org(Vec::new()),
                counts: Counts {
                    errors: 1,
                    ..Counts::default()
                },
                problems: vec![problem],
            };
            return Ok((plan, Snapshot::default()));
        }
    };
    let snapshot = snapshot(db, org, kind).await?;
    tokio::task::spawn_blocking(move || {
        let plan = check(kind, &table, &snapshot, importer);
        (plan, snapshot)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "checking an uploaded file stopped");
        AppError::Internal
    })
}

/// What the checks of one kind of file need from the database: organisation
/// `org`'s units, roles (with their requirements) and people, since a file
/// names them by code and employee number and these resolve within the
/// organisation only; the codes and numbers other organisations use, which
/// are unique in the whole system; and every account's email, unique too.
pub async fn snapshot(
    db: &impl ConnectionTrait,
    org: i32,
    kind: Kind,
) -> Result<Snapshot, AppError> {
    use sea_orm::sea_query::Query;
    let mut s = Snapshot::default();
    let orgs = org_unit::Entity::find()
        .filter(org_unit::Column::OrganisationId.eq(org))
        .all(db)
        .await?;
    let org_codes: HashMap<i32, String> = orgs.iter().map(|o| (o.id, o.code.clone())).collect();
    for o in orgs {
        s.orgs.insert(
            o.code.clone(),
            OrgRecord {
                id: o.id,
                name: o.name,
                parent: o.parent_id.and_then(|p| org_codes.get(&p).cloned()),
                kind: o.kind,
            },
        );
    }
    if kind == Kind::Org {
        s.units_elsewhere = org_unit::Entity::find()
            .select_only()
            .column(org_unit::Column::Code)
            .filter(org_unit::Column::OrganisationId.ne(org))
            .into_tuple::<String>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        return Ok(s);
    }
    let roles = job_role::Entity::find()
        .filter(job_role::Column::OrganisationId.eq(org))
        .all(db)
        .await?;
    let role_codes: HashMap<i32, String> = roles.iter().map(|r| (r.id, r.code.clone())).collect();
    for r in roles {
        s.roles.insert(
            r.code,
            RoleRecord {
                id: r.id,
                title: r.title,
                staff_group: r.staff_group,
                band: r.band,
                requirements: BTreeMap::new(),
            },
        );
    }
    if kind == Kind::Roles {
        // The shared framework's skills and the organisation's own.
        let mut frameworks = vec![crate::framework::read::current_model(db).await?.id];
        frameworks.extend(
            crate::framework::read::own_model(db, org)
                .await?
                .map(|f| f.id),
        );
        s.skills = skill::Entity::find()
            .filter(skill::Column::FrameworkId.is_in(frameworks))
            .select_only()
            .column(skill::Column::Code)
            .into_tuple::<String>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        s.roles_elsewhere = job_role::Entity::find()
            .select_only()
            .column(job_role::Column::Code)
            .filter(job_role::Column::OrganisationId.ne(org))
            .into_tuple::<String>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let own_roles = Query::select()
            .column(job_role::Column::Id)
            .from(job_role::Entity)
            .and_where(job_role::Column::OrganisationId.eq(org))
            .to_owned();
        for q in role_requirement::Entity::find()
            .filter(role_requirement::Column::JobRoleId.in_subquery(own_roles))
            .all(db)
            .await?
        {
            if let Some(r) = role_codes
                .get(&q.job_role_id)
                .and_then(|c| s.roles.get_mut(c))
            {
                r.requirements
                    .insert(q.skill_code, (q.level.clamp(0, 255) as u8, q.essential));
            }
        }
        return Ok(s);
    }
    let people = person::Entity::find()
        .filter(person::Column::OrganisationId.eq(org))
        .all(db)
        .await?;
    s.numbers_elsewhere = person::Entity::find()
        .select_only()
        .column(person::Column::EmployeeNumber)
        .filter(person::Column::OrganisationId.ne(org))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let numbers: HashMap<i32, String> = people
        .iter()
        .map(|p| (p.id, p.employee_number.clone()))
        .collect();
    // Every account's email (one email, one account, in the whole system),
    // with its owner's employee number only when the owner is this
    // organisation's: a clash with another's names nobody.
    let mut accounts: HashMap<i32, AccountRecord> = HashMap::new();
    let all_accounts: Vec<(i32, String, String, Option<i32>)> = account::Entity::find()
        .select_only()
        .columns([
            account::Column::Id,
            account::Column::Email,
            account::Column::Role,
            account::Column::PersonId,
        ])
        .into_tuple()
        .all(db)
        .await?;
    for (id, email, role, person_id) in all_accounts {
        let owner = person_id.and_then(|p| numbers.get(&p).cloned());
        let ours = owner.is_some();
        s.account_emails.insert(email.clone(), owner);
        if let (Some(p), Some(role), true) = (person_id, Role::parse(&role), ours) {
            accounts.insert(p, AccountRecord { id, email, role });
        }
    }
    s.people.reserve(people.len());
    for p in people {
        s.people.insert(
            p.employee_number,
            PersonRecord {
                id: p.id,
                given_name: p.given_name,
                family_name: p.family_name,
                email: p.email,
                org: org_codes.get(&p.org_unit_id).cloned().unwrap_or_default(),
                role: p.job_role_id.and_then(|r| role_codes.get(&r).cloned()),
                manager: p.line_manager_id.and_then(|m| numbers.get(&m).cloned()),
                staff_group: p.staff_group,
                band: p.band,
                account: accounts.remove(&p.id),
            },
        );
    }
    Ok(s)
}

/// Writes a checked plan into organisation `org` (the one its snapshot was
/// taken of): every unit, role, person and account it creates is that
/// organisation's. Call inside a transaction: on any error the caller
/// rolls back and nothing is changed.
pub async fn apply(
    txn: &impl ConnectionTrait,
    org: i32,
    plan: &Plan,
    snapshot: &Snapshot,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(), AppError> {
    if plan.has_errors() {
        return Err(AppError::Conflict(
            "A file with errors cannot be imported.".into(),
        ));
    }
    match &plan.rows {
        Rows::Org(rows) => apply_org(txn, org, rows, snapshot, progress).await?,
        Rows::Roles(rows) => apply_roles(txn, org, rows, snapshot, progress).await?,
        Rows::Staff(rows) => apply_staff(txn, org, rows, snapshot, progress).await?,
    }
    // People, units and requirements changed: recount the reports in the
    // same transaction.
    crate::team::summary::rebuild(txn).await
}

async fn apply_org(
    txn: &impl ConnectionTrait,
    org: i32,
    rows: &[(Action, OrgRow)],
    snapshot: &Snapshot,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(), AppError> {
    let mut ids: HashMap<String, i32> = snapshot
        .orgs
        .iter()
        .map(|(c, o)| (c.clone(), o.id))
        .collect();
    // Parents before children: repeat passes until every row is placed.
    let mut pending: Vec<&(Action, OrgRow)> = rows
        .iter()
        .filter(|(a, _)| *a != Action::Unchanged)
        .collect();
    let total = pending.len();
    let mut done = 0;
    while !pending.is_empty() {
        let before = pending.len();
        let mut next = Vec::new();
        for item in pending {
            let (action, r) = item;
            let parent_id = match &r.parent {
                None => None,
                Some(p) => match ids.get(p) {
                    Some(id) => Some(*id),
                    None => {
                        next.push(item);
                        continue;
                    }
                },
            };
            match action {
                Action::Create => {
                    let m = org_unit::ActiveModel {
                        organisation_id: Set(org),
                        code: Set(r.code.clone()),
                        name: Set(r.name.clone()),
                        parent_id: Set(parent_id),
                        kind: Set(r.kind.clone()),
                        ..Default::default()
                    }
                    .insert(txn)
                    .await?;
                    ids.insert(r.code.clone(), m.id);
                }
                _ => {
                    let id = snapshot.orgs[&r.code].id;
                    org_unit::Entity::update_many()
                        .col_expr(org_unit::Column::Name, Expr::value(r.name.clone()))
                        .col_expr(org_unit::Column::ParentId, Expr::value(parent_id))
                        .col_expr(org_unit::Column::Kind, Expr::value(r.kind.clone()))
                        .filter(org_unit::Column::Id.eq(id))
                        .exec(txn)
                        .await?;
                }
            }
            done += 1;
        }
        progress(Progress { done, total });
        if next.len() == before {
            // Checked already; this would mean a parent loop slipped through.
            return Err(AppError::Conflict(
                "Some parent units could not be placed.".into(),
            ));
        }
        pending = next;
    }
    Ok(())
}

async fn apply_roles(
    txn: &impl ConnectionTrait,
    org: i32,
    rows: &[(Action, RoleRow)],
    snapshot: &Snapshot,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(), AppError> {
    let changing: Vec<&(Action, RoleRow)> = rows
        .iter()
        .filter(|(a, _)| *a != Action::Unchanged)
        .collect();
    let total = changing.len();
    for (done, (action, r)) in changing.into_iter().enumerate() {
        let id = match action {
            Action::Create => {
                job_role::ActiveModel {
                    organisation_id: Set(org),
                    code: Set(r.code.clone()),
                    title: Set(r.title.clone()),
                    staff_group: Set(r.staff_group.clone()),
                    band: Set(r.band.clone()),
                    ..Default::default()
                }
                .insert(txn)
                .await?
                .id
            }
            _ => {
                let id = snapshot.roles[&r.code].id;
                job_role::Entity::update_many()
                    .col_expr(job_role::Column::Title, Expr::value(r.title.clone()))
                    .col_expr(
                        job_role::Column::StaffGroup,
                        Expr::value(r.staff_group.clone()),
                    )
                    .col_expr(job_role::Column::Band, Expr::value(r.band.clone()))
                    .filter(job_role::Column::Id.eq(id))
                    .exec(txn)
                    .await?;
                id
            }
        };
        if let Some(reqs) = &r.requirements {
            role_requirement::Entity::delete_many()
                .filter(role_requirement::Column::JobRoleId.eq(id))
                .exec(txn)
                .await?;
            role_requirement::Entity::insert_many(reqs.iter().map(
                |(skill, (level, essential))| role_requirement::ActiveModel {
                    job_role_id: Set(id),
                    skill_code: Set(skill.clone()),
                    level: Set(i16::from(*level)),
                    essential: Set(*essential),
                    ..Default::default()
                },
            ))
            .exec_without_returning(txn)
            .await?;
        }
        progress(Progress {
            done: done + 1,
            total,
        });
    }
    Ok(())
}

/// Ids for `n` new people, taken before inserting so that line managers
/// can be set in the same statements. The caller already holds the write
/// lock (SQLite) or takes them from the sequence (PostgreSQL).
async fn reserve_person_ids(txn: &impl ConnectionTrait, n: usize) -> Result<Vec<i32>, AppError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let backend = txn.get_database_backend();
    match backend {
        DatabaseBackend::Postgres => {
            let rows = txn
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT nextval(pg_get_serial_sequence('person', 'id'))::int4 AS id FROM generate_series(1, $1)",
                    [sea_orm::Value::from(n as i32)],
                ))
                .await?;
            rows.iter()
                .map(|r| r.try_get::<i32>("", "id").map_err(AppError::from))
                .collect()
        }
        _ => {
            let row = txn
                .query_one_raw(Statement::from_string(
                    backend,
                    "SELECT COALESCE(MAX(id), 0) AS id FROM person",
                ))
                .await?;
            let max: i32 = row
                .map(|r| r.try_get::<i32>("", "id"))
                .transpose()?
                .unwrap_or(0);
            Ok((1..=n as i32).map(|i| max + i).collect())
        }
    }
}

async fn apply_staff(
    txn: &impl ConnectionTrait,
    org: i32,
    rows: &[(Action, StaffRow)],
    snapshot: &Snapshot,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(), AppError> {
    let orgs: HashMap<&str, i32> = snapshot
        .orgs
        .iter()
        .map(|(c, o)| (c.as_str(), o.id))
        .collect();
    let roles: HashMap<&str, i32> = snapshot
        .roles
        .iter()
        .map(|(c, r)| (c.as_str(), r.id))
        .collect();
    let creates: Vec<&StaffRow> = rows
        .iter()
        .filter(|(a, _)| *a == Action::Create)
        .map(|(_, r)| r)
        .collect();
    let updates: Vec<&StaffRow> = rows
        .iter()
        .filter(|(a, _)| *a == Action::Update)
        .map(|(_, r)| r)
        .collect();
    let total = creates.len() + updates.len();
    let mut done = 0;
    let ordered = managers_first(&creates, snapshot);
    let new_ids = reserve_person_ids(txn, ordered.len()).await?;
    let mut ids: HashMap<&str, i32> = snapshot
        .people
        .iter()
        .map(|(n, p)| (n.as_str(), p.id))
        .collect();
    for (r, id) in ordered.iter().zip(&new_ids) {
        ids.insert(r.employee_number.as_str(), *id);
    }
    let now = Utc::now();
    // The units named resolve within `org`, so a person is their unit's
    // organisation's, as every person must be.
    let person_model = |r: &StaffRow, id: i32| person::ActiveModel {
        id: Set(id),
        organisation_id: Set(org),
        employee_number: Set(r.employee_number.clone()),
        given_name: Set(r.given_name.clone()),
        family_name: Set(r.family_name.clone()),
        email: Set(r.email.clone()),
        staff_group: Set(r.staff_group.clone()),
        band: Set(r.band.clone()),
        org_unit_id: Set(orgs[r.org.as_str()]),
        job_role_id: Set(r.role.as_deref().map(|c| roles[c])),
        line_manager_id: Set(r.manager.as_deref().map(|m| ids[m])),
        created_at: Set(now),
    };
    let new_account = |email: &str, role: Option<Role>, person_id: i32| account::ActiveModel {
        organisation_id: Set(Some(org)),
        email: Set(email.to_string()),
        // No password yet: the person sets one from a set-password link.
        password_hash: Set(String::new()),
        role: Set(role.unwrap_or(Role::Staff).as_str().to_string()),
        disabled: Set(false),
        person_id: Set(Some(person_id)),
        created_at: Set(now),
        last_login_at: Set(None),
        break_glass: Set(false),
        ..Default::default()
    };
    for (chunk, chunk_ids) in ordered.chunks(CHUNK).zip(new_ids.chunks(CHUNK)) {
        person::Entity::insert_many(
            chunk
                .iter()
                .zip(chunk_ids)
                .map(|(r, id)| person_model(r, *id)),
        )
        .exec_without_returning(txn)
        .await?;
        account::Entity::insert_many(
            chunk
                .iter()
                .zip(chunk_ids)
                .filter_map(|(r, id)| r.email.as_deref().map(|e| new_account(e, r.app_role, *id))),
        )
        .exec_without_returning(txn)
        .await?;
        done += chunk.len();
        progress(Progress { done, total });
    }
    for r in updates {
        let existing = &snapshot.people[&r.employee_number];
        let mut m = person_model(r, existing.id);
        m.created_at = sea_orm::ActiveValue::NotSet;
        m.employee_number = sea_orm::ActiveValue::NotSet;
        if r.email.is_none() {
            m.email = sea_orm::ActiveValue::NotSet;
        }
        person::Entity::update(m).exec(txn).await?;
        if let Some(email) = &r.email {
            match &existing.account {
                None => {
                    new_account(email, r.app_role, existing.id)
                        .insert(txn)
                        .await?;
                }
                Some(a) if a.email != *email || r.app_role.is_some_and(|x| x != a.role) => {
                    account::Entity::update_many()
                        .col_expr(account::Column::Email, Expr::value(email.clone()))
                        .col_expr(
                            account::Column::Role,
                            Expr::value(r.app_role.unwrap_or(a.role).as_str()),
                        )
                        .filter(account::Column::Id.eq(a.id))
                        .exec(txn)
                        .await?;
                }
                Some(_) => {}
            }
        }
        done += 1;
        if done % CHUNK == 0 {
            progress(Progress { done, total });
        }
    }
    progress(Progress { done, total });
    Ok(())
}

// ---------------------------------------------------------------------------
// Jobs: the record of each file.

pub struct NewJob<'a> {
    /// The organisation whose data the file is: the uploader's (the
    /// command line's `--organisation`).
    pub organisation_id: i32,
    pub kind: Kind,
    pub file_name: &'a str,
    pub actor: &'a str,
    pub created_by: Option<i32>,
}

fn report_json(problems: &[Problem]) -> String {
    serde_json::to_string(problems).unwrap_or_else(|_| "[]".into())
}

fn job_model(job: &NewJob<'_>, plan: &Plan, status: Status) -> import_job::ActiveModel {
    let c = plan.counts;
    import_job::ActiveModel {
        organisation_id: Set(job.organisation_id),
        kind: Set(job.kind.as_str().to_string()),
        file_name: Set(clean_file_name(job.file_name)),
        status: Set(status.as_str().to_string()),
        actor: Set(job.actor.to_string()),
        created_by: Set(job.created_by),
        created_at: Set(Utc::now()),
        finished_at: Set(None),
        rows: Set(c.rows as i32),
        creates: Set(c.create as i32),
        updates: Set(c.update as i32),
        unchanged: Set(c.unchanged as i32),
        errors: Set(c.errors as i32),
        warnings: Set(c.warnings as i32),
        new_accounts: Set(c.new_accounts as i32),
        report: Set(report_json(&plan.problems)),
        failure: Set(None),
        content: Set(None),
        queue_job_id: Set(None),
        ..Default::default()
    }
}

/// The file's name without any folders, for the history.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    let base: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if base.is_empty() {
        "upload".into()
    } else {
        base
    }
}

/// Checks an uploaded file and records it: ready to import, or rejected.
pub async fn upload(
    db: &DatabaseConnection,
    job: NewJob<'_>,
    bytes: Vec<u8>,
    limits: Limits,
    importer: Importer,
) -> Result<i32, AppError> {
    let bytes = Arc::new(bytes);
    let table = match read_file(bytes.clone(), job.file_name, limits).await? {
        // Refused outright, as a file over the size limit is: nothing is
        // recorded, and the message names the limit.
        Err(ReadError::TooLarge(message)) => return Err(AppError::validation("file", message)),
        read => read.map_err(Problem::from),
    };
    let (plan, _) = check_table(db, job.organisation_id, job.kind, table, importer).await?;
    let status = if plan.has_errors() {
        Status::Rejected
    } else {
        Status::Ready
    };
    let mut m = job_model(&job, &plan, status);
    if status == Status::Ready {
        m.content = Set(Some(Arc::unwrap_or_clone(bytes)));
    }
    Ok(m.insert(db).await?.id)
}

/// Imports a checked upload in one transaction. The file is checked again
/// against the database as it is now; if that finds errors (someone changed
/// the data meanwhile), nothing is imported and the job says why. Run by
/// the job queue (`queue_commit`); running it again after it finished
/// changes nothing ("already imported"). The file is the job's
/// organisation's, checked against and written into it; the callers that
/// take an id from a request check the organisation first (`status`).
pub async fn commit(
    db: &DatabaseConnection,
    id: i32,
    limits: Limits,
    importer: Importer,
    progress: &(dyn Fn(Progress) + Sync),
    by: audit::Actor,
) -> Result<Counts, AppError> {
    let job = import_job::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("The import".into()))?;
    let kind = Kind::parse(&job.kind).ok_or(AppError::Internal)?;
    let org = job.organisation_id;
    let by = by.in_organisation(Some(org));
    let bytes = match (Status::parse(&job.status), job.content) {
        (Status::Ready | Status::Failed | Status::Importing, Some(bytes)) => bytes,
        (Status::Imported, _) => {
            return Err(AppError::Conflict(
                "This file has already been imported.".into(),
            ));
        }
        (Status::Expired, _) => return Err(AppError::Conflict(EXPIRED.into())),
        _ => {
            return Err(AppError::Conflict(
                "This file has errors, so it cannot be imported. Fix them and upload it again."
                    .into(),
            ));
        }
    };
    let txn = crate::kernel::begin_write(db).await?;
    // Claim the job first (`begin_write` already holds SQLite's write lock,
    // so the ids reserved below cannot be taken by anyone else).
    let claimed = import_job::Entity::update_many()
        .col_expr(
            import_job::Column::Status,
            Expr::value(Status::Importing.as_str()),
        )
        .filter(import_job::Column::Id.eq(id))
        .filter(import_job::Column::Status.is_in([
            Status::Ready.as_str(),
            Status::Failed.as_str(),
            QUEUED,
        ]))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(AppError::Conflict(
            "This file is already being imported.".into(),
        ));
    }
    let (plan, snapshot) = check_file(
        &txn,
        org,
        kind,
        &job.file_name,
        Arc::new(bytes),
        limits,
        importer,
    )
    .await?;
    if plan.has_errors() {
        drop(txn);
        let failure = format!(
            "Nothing was imported: the data in Skillmap changed since the file was checked, and {} row(s) now have problems. Upload the file again to see them.",
            plan.counts.errors
        );
        mark_failed(db, id, &failure).await?;
        return Err(AppError::Conflict(
            "The data changed since the file was checked; nothing was imported.".into(),
        ));
    }
    let started = Utc::now();
    apply(&txn, org, &plan, &snapshot, progress).await?;
    welcome_new_accounts(&txn, org, started).await?;
    finish_job(&txn, id, kind, &plan, by).await?;
    txn.commit().await?;
    Ok(plan.counts)
}

/// The stored status of an import waiting in the job queue.
const QUEUED: &str = "queued";

/// The job that commits an import (payload: `CommitJob`).
pub const COMMIT_JOB: &str = "import.commit";

/// What the queue is given to commit an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommitJob {
    pub import: i32,
    pub admin: bool,
    pub account: Option<i32>,
    pub ip: Option<std::net::IpAddr>,
}

impl CommitJob {
    pub fn importer(&self) -> Importer {
        Importer {
            is_admin: self.admin,
        }
    }

    pub fn actor(&self) -> audit::Actor {
        audit::Actor::new(self.account, self.ip)
    }
}

/// Asks the job queue to import a checked upload of organisation `org`,
/// unless it is queued or being imported already (or is another
/// organisation's: nothing is queued). Any instance may run it, and the
/// page reads its progress from the database.
pub async fn queue_commit(
    db: &DatabaseConnection,
    org: i32,
    id: i32,
    importer: Importer,
    by: audit::Actor,
) -> Result<(), AppError> {
    use crate::kernel::queue;
    let txn = crate::kernel::begin_write(db).await?;
    let payload = CommitJob {
        import: id,
        admin: importer.is_admin,
        account: by.account_id,
        ip: by.ip,
    };
    // Three tries: a database that is briefly unreachable, or a restart.
    let job = queue::enqueue(&txn, queue::NewJob::new(COMMIT_JOB, payload).attempts(3))
        .await?
        .ok_or(AppError::Internal)?;
    let queued = import_job::Entity::update_many()
        .col_expr(import_job::Column::Status, Expr::value(QUEUED))
        .col_expr(import_job::Column::QueueJobId, Expr::value(Some(job)))
        .col_expr(
            import_job::Column::Failure,
            Expr::value(Option::<String>::None),
        )
        .filter(import_job::Column::Id.eq(id))
        .filter(import_job::Column::OrganisationId.eq(org))
        .filter(import_job::Column::Status.is_in([Status::Ready.as_str(), Status::Failed.as_str()]))
        .exec(&txn)
        .await?;
    if queued.rows_affected == 1 {
        txn.commit().await?;
    }
    // Otherwise queued already (or imported meanwhile): the job is dropped
    // with the transaction.
    Ok(())
}

/// Accounts an import made with no password hear how to sign in: this
/// import's, of organisation `org` (another organisation's import at the
/// same moment welcomes its own).
async fn welcome_new_accounts(
    txn: &impl ConnectionTrait,
    org: i32,
    since: chrono::DateTime<Utc>,
) -> Result<(), AppError> {
    let ids: Vec<i32> = account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .filter(account::Column::OrganisationId.eq(org))
        .filter(account::Column::PasswordHash.eq(""))
        .filter(account::Column::CreatedAt.gte(since))
        .into_tuple()
        .all(txn)
        .await?;
    crate::notifications::service::welcome_many(txn, &ids).await?;
    Ok(())
}

/// Tells whoever uploaded the file how its import went.
async fn tell_importer(
    db: &impl ConnectionTrait,
    id: i32,
    title: String,
    body: String,
) -> Result<(), AppError> {
    use crate::notifications::{model::Kind as Notice, service as notices};
    let by: Option<Option<i32>> = import_job::Entity::find_by_id(id)
        .select_only()
        .column(import_job::Column::CreatedBy)
        .into_tuple()
        .one(db)
        .await?;
    if let Some(Some(account)) = by {
        let link = format!("/admin/import/{id}");
        notices::notify(
            db,
            account,
            notices::NewNotice::new(Notice::ImportFinished, title, body, &link),
        )
        .await?;
    }
    Ok(())
}

/// Marks the job imported and records it in the audit trail, inside the
/// import's transaction.
async fn finish_job(
    txn: &impl ConnectionTrait,
    id: i32,
    kind: Kind,
    plan: &Plan,
    by: audit::Actor,
) -> Result<(), AppError> {
    let c = plan.counts;
    let detail = format!(
        "{} file: {} created, {} updated, {} unchanged, {} new accounts",
        kind.as_str(),
        c.create,
        c.update,
        c.unchanged,
        c.new_accounts
    );
    audit::record(
        txn,
        by,
        Audited::ImportCommitted,
        Some(("import", id)),
        detail,
    )
    .await?;
    let file: Option<String> = import_job::Entity::find_by_id(id)
        .select_only()
        .column(import_job::Column::FileName)
        .into_tuple()
        .one(txn)
        .await?;
    tell_importer(
        txn,
        id,
        format!("Import finished: {}", file.unwrap_or_default()),
        format!(
            "{} created, {} updated, {} unchanged, {} new accounts.",
            c.create, c.update, c.unchanged, c.new_accounts
        ),
    )
    .await?;
    import_job::Entity::update_many()
        .col_expr(
            import_job::Column::Status,
            Expr::value(Status::Imported.as_str()),
        )
        .col_expr(import_job::Column::FinishedAt, Expr::value(Utc::now()))
        .col_expr(import_job::Column::Creates, Expr::value(c.create as i32))
        .col_expr(import_job::Column::Updates, Expr::value(c.update as i32))
        .col_expr(
            import_job::Column::Unchanged,
            Expr::value(c.unchanged as i32),
        )
        .col_expr(
            import_job::Column::NewAccounts,
            Expr::value(c.new_accounts as i32),
        )
        .col_expr(
            import_job::Column::Report,
            Expr::value(report_json(&plan.problems)),
        )
        .col_expr(
            import_job::Column::Failure,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            import_job::Column::Content,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .filter(import_job::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Records that a commit failed for a reason other than the data (it was
/// rolled back, so nothing changed), so the page can say so.
pub async fn mark_failed(db: &DatabaseConnection, id: i32, message: &str) -> Result<(), AppError> {
    let txn = crate::kernel::begin_write(db).await?;
    let r = import_job::Entity::update_many()
        .col_expr(
            import_job::Column::Status,
            Expr::value(Status::Failed.as_str()),
        )
        .col_expr(
            import_job::Column::Failure,
            Expr::value(Some(message.to_string())),
        )
        .filter(import_job::Column::Id.eq(id))
        .filter(import_job::Column::Status.ne(Status::Imported.as_str()))
        .filter(import_job::Column::Status.ne(Status::Failed.as_str()))
        .exec(&txn)
        .await?;
    if r.rows_affected == 1 {
        let file: Option<String> = import_job::Entity::find_by_id(id)
            .select_only()
            .column(import_job::Column::FileName)
            .into_tuple()
            .one(&txn)
            .await?;
        tell_importer(
            &txn,
            id,
            format!("Import failed: {}", file.unwrap_or_default()),
            message.to_string(),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Marks an import that is still waiting in the queue as failed, with why
/// (a refusal its job cannot retry); one imported, expired or failed
/// already is left as it is.
pub async fn fail_if_queued(db: &DatabaseConnection, id: i32, why: &str) -> Result<(), AppError> {
    let stored: Option<String> = import_job::Entity::find_by_id(id)
        .select_only()
        .column(import_job::Column::Status)
        .into_tuple()
        .one(db)
        .await?;
    if stored.as_deref() == Some(QUEUED) {
        mark_failed(db, id, &format!("Nothing was imported: {why}")).await?;
    }
    Ok(())
}

/// What an import whose file was removed says when someone imports it.
const EXPIRED: &str =
    "This file was not imported in time, so Skillmap removed it. Upload it again to import it.";

/// What a cell's value becomes in a problem report once it is purged.
pub const REMOVED: &str = "(removed)";

/// Removes the uploaded file and the cell values in the problem report of
/// every finished import older than `older_than`: committed ones (counted
/// from when they were imported; their file went at the commit), rejected
/// ones, and abandoned ones (checked but never imported, counted from the
/// upload: they become `expired` and can no longer be imported). The
/// counts, the outcome and each problem's row, column and message stay, so
/// the history still says what happened. The server runs this at start-up
/// and every 15 minutes with `SKILLMAP_IMPORT_RETENTION_DAYS`; erasure runs
/// it with `Duration::zero()` to remove them all at once. Returns how many
/// imports were purged.
pub async fn purge_finished_files(
    db: &impl ConnectionTrait,
    older_than: chrono::Duration,
    now: chrono::DateTime<Utc>,
) -> Result<u64, AppError> {
    purge_files_of(db, None, older_than, now).await
}

/// `purge_finished_files` for one organisation's imports only (`Some`), as
/// an erasure there does: another organisation's uploads are not theirs to
/// purge.
pub async fn purge_files_of(
    db: &impl ConnectionTrait,
    organisation: Option<i32>,
    older_than: chrono::Duration,
    now: chrono::DateTime<Utc>,
) -> Result<u64, AppError> {
    use import_job::Column as C;
    let cutoff = now
        .checked_sub_signed(older_than)
        .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
    // A job is never finished before it was created, so this is all of them.
    type Job = (
        i32,
        String,
        chrono::DateTime<Utc>,
        Option<chrono::DateTime<Utc>>,
    );
    let jobs: Vec<Job> = import_job::Entity::find()
        .select_only()
        .columns([C::Id, C::Status, C::CreatedAt, C::FinishedAt])
        .filter(C::PurgedAt.is_null())
        .filter(C::CreatedAt.lte(cutoff))
        .apply_if(organisation, |q, org| q.filter(C::OrganisationId.eq(org)))
        .order_by_asc(C::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut purged = 0;
    for (id, stored, created_at, finished_at) in jobs {
        let status = Status::parse(&stored);
        let since = match status {
            Status::Imported => finished_at.unwrap_or(created_at),
            _ => created_at,
        };
        if since > cutoff {
            continue;
        }
        // One report at a time: a rejected file's can be large.
        let Some(report) = import_job::Entity::find_by_id(id)
            .select_only()
            .column(C::Report)
            .into_tuple::<String>()
            .one(db)
            .await?
        else {
            continue;
        };
        let after = match status {
            Status::Imported | Status::Rejected => status,
            _ => Status::Expired,
        };
        let done = import_job::Entity::update_many()
            .col_expr(C::Content, Expr::value(Option::<Vec<u8>>::None))
            .col_expr(C::Report, Expr::value(without_values(&report)))
            .col_expr(C::Status, Expr::value(after.as_str()))
            .col_expr(C::PurgedAt, Expr::value(now))
            .filter(C::Id.eq(id))
            // Unless it changed meanwhile (an import finishing): next time.
            .filter(C::Status.eq(stored.as_str()))
            .filter(C::PurgedAt.is_null())
            .exec(db)
            .await?;
        purged += done.rows_affected;
    }
    Ok(purged)
}

/// A problem report (JSON) with every cell value replaced by `REMOVED`.
fn without_values(report: &str) -> String {
    match serde_json::from_str::<Vec<Problem>>(report) {
        Ok(mut problems) => {
            for p in &mut problems {
                if !p.value.is_empty() {
                    p.value = REMOVED.to_string();
                }
            }
            report_json(&problems)
        }
        // Not a report this version wrote: keep none of it.
        Err(_) => "[]".to_string(),
    }
}

/// The command line: check a file and, unless it is a dry run or has errors,
/// import it in one transaction. Every run is recorded in the history.
pub async fn import_file(
    db: &DatabaseConnection,
    job: NewJob<'_>,
    bytes: &[u8],
    limits: Limits,
    dry_run: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Plan, AppError> {
    let importer = Importer { is_admin: true };
    let org = job.organisation_id;
    let bytes = Arc::new(bytes.to_vec());
    if dry_run {
        let (plan, _) =
            check_file(db, org, job.kind, job.file_name, bytes, limits, importer).await?;
        return Ok(plan);
    }
    let txn = crate::kernel::begin_write(db).await?;
    // The job row comes first, under the write lock `begin_write` took.
    let placeholder = Plan {
        rows: Rows::Org(Vec::new()),
        counts: Counts::default(),
        problems: Vec::new(),
    };
    let id = job_model(&job, &placeholder, Status::Importing)
        .insert(&txn)
        .await?
        .id;
    let (plan, snapshot) =
        check_file(&txn, org, job.kind, job.file_name, bytes, limits, importer).await?;
    if plan.has_errors() {
        drop(txn);
        job_model(&job, &plan, Status::Rejected).insert(db).await?;
        return Ok(plan);
    }
    let mut m = job_model(&job, &plan, Status::Importing);
    m.id = Set(id);
    m.update(&txn).await?;
    let started = Utc::now();
    apply(&txn, org, &plan, &snapshot, progress).await?;
    welcome_new_accounts(&txn, org, started).await?;
    // The command line: the system acted, on the organisation's data.
    let by = audit::Actor::default().in_organisation(Some(org));
    finish_job(&txn, id, job.kind, &plan, by).await?;
    txn.commit().await?;
    Ok(plan)
}

fn when(t: chrono::DateTime<Utc>) -> String {
    t.format("%-d %b %Y %H:%M UTC").to_string()
}

fn counts_of(j: &import_job::Model) -> Counts {
    Counts {
        rows: j.rows.max(0) as usize,
        create: j.creates.max(0) as usize,
        update: j.updates.max(0) as usize,
        unchanged: j.unchanged.max(0) as usize,
        errors: j.errors.max(0) as usize,
        warnings: j.warnings.max(0) as usize,
        new_accounts: j.new_accounts.max(0) as usize,
    }
}

/// Organisation `org`'s jobs without their stored file (and, for lists,
/// without their report).
fn select_jobs(org: i32, with_report: bool) -> sea_orm::Select<import_job::Entity> {
    use import_job::Column as C;
    let q = import_job::Entity::find()
        .filter(C::OrganisationId.eq(org))
        .select_only()
        .columns([
            C::OrganisationId,
            C::Id,
            C::Kind,
            C::FileName,
            C::Status,
            C::Actor,
            C::CreatedBy,
            C::CreatedAt,
            C::FinishedAt,
            C::Rows,
            C::Creates,
            C::Updates,
            C::Unchanged,
            C::Errors,
            C::Warnings,
            C::NewAccounts,
            C::Failure,
            C::PurgedAt,
            C::QueueJobId,
        ]);
    let q = if with_report {
        q.column(C::Report)
    } else {
        q.expr_as(Expr::value(String::new()), "report")
    };
    q.expr_as(Expr::value(Option::<Vec<u8>>::None), "content")
}

/// The status to show: waiting in the queue or running (so importing), or
/// claimed by a transaction that never finished (rolled back, so ready).
fn live_status(stored: &str, running: bool) -> Status {
    if stored == QUEUED {
        return Status::Importing;
    }
    match Status::parse(stored) {
        Status::Imported => Status::Imported,
        Status::Expired => Status::Expired,
        _ if running => Status::Importing,
        Status::Importing => Status::Ready,
        other => other,
    }
}

/// How far an import has got: from this instance's memory when it runs
/// here, else from its queue job (written there by whichever instance runs
/// it, on PostgreSQL; SQLite is one instance).
async fn progress_of(
    db: &impl ConnectionTrait,
    id: i32,
    stored: &str,
    queue_job: Option<i32>,
    running: &Running,
) -> Result<Option<Progress>, AppError> {
    if let Some(p) = running.get(id) {
        return Ok(Some(p));
    }
    match (stored, queue_job) {
        (QUEUED, Some(job)) => Ok(crate::kernel::queue::state(db, job)
            .await?
            .and_then(|s| s.progress)
            .map(|(done, total)| Progress { done, total })),
        _ => Ok(None),
    }
}

/// A job's status and progress only (for polling and before committing).
/// Another organisation's job is not found, as a missing one is not.
pub async fn status(
    db: &impl ConnectionTrait,
    org: i32,
    id: i32,
    running: &Running,
) -> Result<(Status, Option<Progress>), AppError> {
    let (stored, queue_job): (String, Option<i32>) = import_job::Entity::find_by_id(id)
        .filter(import_job::Column::OrganisationId.eq(org))
        .select_only()
        .column(import_job::Column::Status)
        .column(import_job::Column::QueueJobId)
        .into_tuple()
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("The import".into()))?;
    let progress = progress_of(db, id, &stored, queue_job, running).await?;
    Ok((live_status(&stored, running.get(id).is_some()), progress))
}

/// An import's preview or record; another organisation's is not found.
pub async fn job(
    db: &impl ConnectionTrait,
    org: i32,
    id: i32,
    running: &Running,
) -> Result<JobView, AppError> {
    let j = select_jobs(org, true)
        .filter(import_job::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("The import".into()))?;
    let problems: Vec<Problem> = serde_json::from_str(&j.report).unwrap_or_default();
    let progress = progress_of(db, id, &j.status, j.queue_job_id, running).await?;
    Ok(JobView {
        id: j.id,
        kind: Kind::parse(&j.kind).unwrap_or(Kind::Staff),
        file_name: j.file_name.clone(),
        status: live_status(&j.status, running.get(id).is_some()),
        actor: j.actor.clone(),
        created_at: when(j.created_at),
        finished_at: j.finished_at.map(when),
        counts: counts_of(&j),
        problems: problems.into_iter().take(PROBLEMS_SHOWN).collect(),
        progress,
        failure: j.failure.clone(),
        purged_at: j.purged_at.map(when),
        welcome_emails: crate::notifications::service::email_configured(),
    })
}

/// Organisation `org`'s most recent imports.
pub async fn history(
    db: &impl ConnectionTrait,
    org: i32,
    running: &Running,
) -> Result<Vec<JobRow>, AppError> {
    let jobs = select_jobs(org, false)
        .order_by_desc(import_job::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    Ok(jobs
        .into_iter()
        .map(|j| JobRow {
            id: j.id,
            kind: Kind::parse(&j.kind).unwrap_or(Kind::Staff),
            file_name: j.file_name.clone(),
            status: live_status(&j.status, running.get(j.id).is_some()),
            actor: j.actor.clone(),
            created_at: when(j.created_at),
            counts: counts_of(&j),
        })
        .collect())
}

/// Every problem with a file, as CSV (formula-safe) for a spreadsheet.
/// Another organisation's import is not found.
pub async fn report_csv(
    db: &impl ConnectionTrait,
    org: i32,
    id: i32,
) -> Result<(String, String), AppError> {
    let j = import_job::Entity::find_by_id(id)
        .filter(import_job::Column::OrganisationId.eq(org))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("The import".into()))?;
    let problems: Vec<Problem> = serde_json::from_str(&j.report).unwrap_or_default();
    let body = problems_csv(&problems)?;
    let stem = j
        .file_name
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(&j.file_name)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect::<String>();
    Ok((format!("import-{id}-{stem}-problems.csv"), body))
}

/// Problems as CSV (formula-safe) for a spreadsheet.
pub fn problems_csv(problems: &[Problem]) -> Result<String, AppError> {
    let mut w = SafeCsv::default();
    w.row(["Row", "Column", "Value", "Problem", "Severity"]);
    for p in problems {
        w.row([
            p.row.map(|r| r.to_string()).unwrap_or_default(),
            p.column.clone(),
            p.value.clone(),
            p.message.clone(),
            if p.warning { "warning" } else { "error" }.into(),
        ]);
    }
    Ok(w.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::testing::{ORG, test_db};

    /// A job as an upload or a commit left it, `days` ago.
    async fn insert_job(
        db: &DatabaseConnection,
        status: Status,
        problems: &[Problem],
        content: Option<&[u8]>,
        created_days_ago: i64,
        finished_days_ago: Option<i64>,
    ) -> i32 {
        let now = Utc::now();
        let plan = Plan {
            rows: Rows::Org(Vec::new()),
            counts: Counts::default(),
            problems: problems.to_vec(),
        };
        let job = NewJob {
            organisation_id: ORG,
            kind: Kind::Staff,
            file_name: "staff.csv",
            actor: "hr@skillmap.example",
            created_by: None,
        };
        let mut m = job_model(&job, &plan, status);
        m.created_at = Set(now - chrono::Duration::days(created_days_ago));
        m.finished_at = Set(finished_days_ago.map(|d| now - chrono::Duration::days(d)));
        m.content = Set(content.map(<[u8]>::to_vec));
        m.insert(db).await.unwrap().id
    }

    async fn stored(db: &DatabaseConnection, id: i32) -> import_job::Model {
        import_job::Entity::find_by_id(id)
            .one(db)
            .await
            .unwrap()
            .unwrap()
    }

    #[tokio::test]
    async fn finished_imports_keep_their_file_and_values_only_so_long() {
        let t = test_db().await;
        let db = &t.db;
        let email = Problem::cell(2, "Email", "pia.purge@", "Enter an email address");
        let week = chrono::Duration::days(7);
        let old_rejected = insert_job(
            db,
            Status::Rejected,
            std::slice::from_ref(&email),
            None,
            10,
            None,
        )
        .await;
        let new_rejected = insert_job(
            db,
            Status::Rejected,
            std::slice::from_ref(&email),
            None,
            1,
            None,
        )
        .await;
        let abandoned = insert_job(db, Status::Ready, &[], Some(b"a,b\n"), 10, None).await;
        let waiting = insert_job(db, Status::Ready, &[], Some(b"a,b\n"), 1, None).await;
        let old_import = insert_job(db, Status::Imported, &[], None, 10, Some(9)).await;
        // Uploaded long ago, imported yesterday: counted from the import.
        let new_import = insert_job(db, Status::Imported, &[], None, 10, Some(1)).await;

        let purged = purge_finished_files(db, week, Utc::now()).await.unwrap();
        assert_eq!(purged, 3);
        let j = stored(db, old_rejected).await;
        assert_eq!(j.status, "rejected");
        assert!(j.purged_at.is_some());
        let problems: Vec<Problem> = serde_json::from_str(&j.report).unwrap();
        assert_eq!(
            problems,
            [Problem {
                value: REMOVED.into(),
                ..email.clone()
            }]
        );
        let (name, csv) = report_csv(db, ORG, old_rejected).await.unwrap();
        assert!(name.ends_with("-problems.csv"), "{name}");
        assert!(
            csv.contains("2,Email,(removed),Enter an email address"),
            "{csv}"
        );
        let j = stored(db, abandoned).await;
        assert_eq!((j.status.as_str(), j.content), ("expired", None));
        // It can no longer be imported, and says why.
        let refused = commit(
            db,
            abandoned,
            Limits::default(),
            Importer { is_admin: true },
            &|_| {},
            audit::Actor::default(),
        )
        .await;
        assert!(
            matches!(&refused, Err(AppError::Conflict(m)) if m.contains("not imported in time")),
            "{refused:?}"
        );
        assert_eq!(
            job(db, ORG, abandoned, &Running::default())
                .await
                .unwrap()
                .status,
            Status::Expired
        );
        assert!(stored(db, old_import).await.purged_at.is_some());
        for id in [new_rejected, waiting, new_import] {
            let j = stored(db, id).await;
            assert!(j.purged_at.is_none(), "{id} is within the week");
        }
        assert!(stored(db, new_rejected).await.report.contains("pia.purge@"));
        assert!(stored(db, waiting).await.content.is_some());
        // Nothing more until more time passes.
        assert_eq!(purge_finished_files(db, week, Utc::now()).await.unwrap(), 0);
        // Erasure: all at once, a checked file waiting to be imported too.
        let purged = purge_finished_files(db, chrono::Duration::zero(), Utc::now())
            .await
            .unwrap();
        assert_eq!(purged, 3);
        for id in [
            old_rejected,
            new_rejected,
            abandoned,
            waiting,
            old_import,
            new_import,
        ] {
            let j = stored(db, id).await;
            assert!(j.purged_at.is_some() && j.content.is_none(), "{id}");
            assert!(!j.report.contains("pia.purge@"), "{id}: {}", j.report);
        }
        assert_eq!(stored(db, waiting).await.status, "expired");
    }

    /// A second organisation of the deployment.
    async fn other_organisation(db: &DatabaseConnection) -> i32 {
        crate::kernel::tenant::create(db, "RYY", "Other Trust")
            .await
            .unwrap()
            .id
    }

    /// Imports are their organisation's: another's jobs are not listed,
    /// and asking for one by id is answered as for a missing one.
    #[tokio::test]
    async fn imports_are_their_organisations() {
        let t = test_db().await;
        let db = &t.db;
        let other = other_organisation(db).await;
        let ours = insert_job(db, Status::Ready, &[], Some(b"a,b\n"), 0, None).await;
        let running = Running::default();
        assert_eq!(history(db, ORG, &running).await.unwrap().len(), 1);
        assert!(history(db, other, &running).await.unwrap().is_empty());
        assert!(job(db, ORG, ours, &running).await.is_ok());
        assert!(matches!(
            job(db, other, ours, &running).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            status(db, other, ours, &running).await,
            Err(AppError::NotFound(_))
        ));
        assert!(matches!(
            report_csv(db, other, ours).await,
            Err(AppError::NotFound(_))
        ));
        // Nothing is queued for another organisation's import.
        queue_commit(
            db,
            other,
            ours,
            Importer { is_admin: true },
            audit::Actor::default(),
        )
        .await
        .unwrap();
        assert_eq!(stored(db, ours).await.status, "ready");
    }

    /// A file is checked against and written into its organisation: codes
    /// and numbers resolve within it, another organisation's are refused
    /// on their row and nothing changes, and the new rows are its own.
    #[tokio::test]
    async fn a_file_is_imported_into_its_organisation_only() {
        let t = test_db().await;
        let db = &t.db;
        // An import recounts the reports, which read the framework.
        crate::framework::service::ensure_default(db).await.unwrap();
        let other = other_organisation(db).await;
        let import = async |org: i32, kind: Kind, text: &str| {
            import_file(
                db,
                NewJob {
                    organisation_id: org,
                    kind,
                    file_name: "file.csv",
                    actor: "command line",
                    created_by: None,
                },
                text.as_bytes(),
                Limits::default(),
                false,
                &|_| {},
            )
            .await
            .unwrap()
        };
        let plan = import(
            ORG,
            Kind::Org,
            "Code,Name,Parent code\nRXX,Trust X,\nRXX-D1,Medicine,RXX\n",
        )
        .await;
        assert!(!plan.has_errors(), "{:?}", plan.problems);
        let plan = import(
            ORG,
            Kind::Staff,
            "Employee number,First name,Last name,Email,Org unit code,Staff group,Band\n\
             100,Ann,Lead,ann@x.nhs.uk,RXX-D1,Administrative and Clerical,8a\n",
        )
        .await;
        assert!(!plan.has_errors(), "{:?}", plan.problems);

        // The other organisation cannot take the codes, numbers or emails,
        // nor name the first one's units or people.
        let plan = import(
            other,
            Kind::Org,
            "Code,Name,Parent code\nRYY,Trust Y,\nRXX-D1,Medicine,RYY\nRYY-D2,Surgery,RXX\n",
        )
        .await;
        let m: Vec<String> = plan.problems.iter().map(Problem::describe).collect();
        assert_eq!(
            m,
            [
                "Row 3, Code \u{201c}RXX-D1\u{201d}: Unit code RXX-D1 is already used by another organisation in this system",
                "Row 4, Parent code \u{201c}RXX\u{201d}: No unit has code RXX, in this file or in Skillmap",
            ]
        );
        let plan = import(other, Kind::Org, "Code,Name,Parent code\nRYY,Trust Y,\n").await;
        assert!(!plan.has_errors(), "{:?}", plan.problems);
        let plan = import(
            other,
            Kind::Staff,
            "Employee number,First name,Last name,Email,Org unit code,Line manager,Staff group,Band\n\
             100,Ann,Again,,RYY,,Administrative and Clerical,5\n\
             200,Bo,New,ann@x.nhs.uk,RYY,,Administrative and Clerical,5\n\
             201,Cy,New,,RXX-D1,,Administrative and Clerical,5\n\
             202,Di,New,,RYY,100,Administrative and Clerical,5\n",
        )
        .await;
        let m: Vec<String> = plan.problems.iter().map(Problem::describe).collect();
        assert_eq!(plan.counts.errors, 4, "{m:#?}");
        for (row, says) in [
            (
                2,
                "Employee number 100 is already used by another organisation in this system",
            ),
            (3, "Another account already uses this email address"),
            (4, "No organisation unit has code RXX-D1"),
            (5, "No person has employee number 100"),
        ] {
            assert!(
                m.iter()
                    .any(|x| x.starts_with(&format!("Row {row}")) && x.contains(says)),
                "row {row}: {says} in {m:#?}"
            );
        }
        // Nothing of the first organisation's is named to the other.
        assert!(
            !m.iter().any(|x| x.contains("Ann") || x.contains("Lead")),
            "{m:#?}"
        );

        // What each import made is its own organisation's.
        let units: Vec<(String, i32)> = org_unit::Entity::find()
            .select_only()
            .columns([org_unit::Column::Code, org_unit::Column::OrganisationId])
            .order_by_asc(org_unit::Column::Code)
            .into_tuple()
            .all(db)
            .await
            .unwrap();
        assert_eq!(
            units,
            [
                ("RXX".to_string(), ORG),
                ("RXX-D1".to_string(), ORG),
                ("RYY".to_string(), other)
            ]
        );
        let ann = person::Entity::find().one(db).await.unwrap().unwrap();
        assert_eq!(ann.organisation_id, ORG);
        let account = account::Entity::find().one(db).await.unwrap().unwrap();
        assert_eq!(account.organisation_id, Some(ORG));
        let jobs: Vec<i32> = import_job::Entity::find()
            .select_only()
            .column(import_job::Column::OrganisationId)
            .order_by_asc(import_job::Column::Id)
            .into_tuple()
            .all(db)
            .await
            .unwrap();
        assert_eq!(jobs, [ORG, ORG, other, other, other]);
    }
}
