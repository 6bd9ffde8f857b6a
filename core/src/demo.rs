//! A realistic (invented) NHS trust to explore Skillmap with: directorates,
//! teams, job roles, staff with Agenda for Change bands and line managers,
//! and one account per role. Deterministic: the same size gives the same
//! organisation.

use crate::auth::model::Role;
use crate::auth::service as accounts;
use crate::entities::{
    account, assessment, assessment_event, job_role, org_unit, person, role_requirement,
};
use crate::error::AppError;
use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};

/// The password of every demo account. Demo data is for trying Skillmap
/// out; never load it into a live system.
pub const DEMO_PASSWORD: &str = "skillmap-demo-2026";

pub const TRUST_NAME: &str = "Northfield Teaching Hospitals NHS Foundation Trust";

/// The demo log-ins: (email, role, what they show).
pub const DEMO_ACCOUNTS: [(&str, Role, &str); 4] = [
    (
        "staff@skillmap.example",
        Role::Staff,
        "a staff nurse on a medical ward",
    ),
    (
        "manager@skillmap.example",
        Role::Manager,
        "that ward's manager",
    ),
    ("hr@skillmap.example", Role::Hr, "an HR business partner"),
    (
        "admin@skillmap.example",
        Role::Admin,
        "the digital services lead",
    ),
];

struct RoleDef {
    code: &'static str,
    title: &'static str,
    group: &'static str,
    band: &'static str,
}

const fn r(
    code: &'static str,
    title: &'static str,
    group: &'static str,
    band: &'static str,
) -> RoleDef {
    RoleDef {
        code,
        title,
        group,
        band,
    }
}

const NURSING: &str = "Nursing and Midwifery Registered";
const ADDITIONAL: &str = "Additional Clinical Services";
const ADMIN: &str = "Administrative and Clerical";
const AHP: &str = "Allied Health Professionals";
const MEDICAL: &str = "Medical and Dental";
const SCIENTIST: &str = "Healthcare Scientists";
const PST: &str = "Add Prof Scientific and Technic";
const ESTATES: &str = "Estates and Ancillary";

const ROLES: &[RoleDef] = &[
    r("NUR-HCA", "Healthcare Assistant", ADDITIONAL, "Band 3"),
    r("NUR-RN5", "Staff Nurse", NURSING, "Band 5"),
    r("NUR-RN6", "Senior Staff Nurse", NURSING, "Band 6"),
    r("NUR-WM7", "Ward Manager", NURSING, "Band 7"),
    r("NUR-MAT", "Matron", NURSING, "Band 8a"),
    r("MID-RM6", "Midwife", NURSING, "Band 6"),
    r("MED-RES", "Resident Doctor", MEDICAL, "Resident doctor"),
    r("MED-CON", "Consultant", MEDICAL, "Consultant"),
    r(
        "MED-CCIO",
        "Chief Clinical Information Officer",
        MEDICAL,
        "Consultant",
    ),
    r("AHP-PT6", "Physiotherapist", AHP, "Band 6"),
    r("AHP-OT6", "Occupational Therapist", AHP, "Band 6"),
    r("AHP-RAD6", "Radiographer", AHP, "Band 6"),
    r("AHP-LEAD", "Therapy Team Lead", AHP, "Band 7"),
    r("SCI-BMS6", "Biomedical Scientist", SCIENTIST, "Band 6"),
    r("PST-PHA7", "Pharmacist", PST, "Band 7"),
    r("ADM-WC3", "Ward Clerk", ADMIN, "Band 3"),
    r("ADM-MS4", "Medical Secretary", ADMIN, "Band 4"),
    r("ADM-TL5", "Administration Team Leader", ADMIN, "Band 5"),
    r("DAT-AN6", "Data Analyst", ADMIN, "Band 6"),
    r("DAT-SIA7", "Senior Information Analyst", ADMIN, "Band 7"),
    r("DIG-TR5", "Digital Systems Trainer", ADMIN, "Band 5"),
    r("DIG-EPR6", "EPR Analyst", ADMIN, "Band 6"),
    r("DIG-CSO", "Clinical Safety Officer", NURSING, "Band 8a"),
    r("DIG-LEAD", "Head of Digital Services", ADMIN, "Band 8b"),
    r("MGT-SM8A", "Service Manager", ADMIN, "Band 8a"),
    r("MGT-GM8C", "Directorate General Manager", ADMIN, "Band 8c"),
    r("MGT-EXEC", "Chief Operating Officer", ADMIN, "Band 9"),
    r("HR-BP7", "HR Business Partner", ADMIN, "Band 7"),
    r("HR-AD4", "HR Administrator", ADMIN, "Band 4"),
    r("FIN-AC6", "Management Accountant", ADMIN, "Band 6"),
    r("EST-POR", "Porter", ESTATES, "Band 2"),
    r("EST-SUP", "Facilities Supervisor", ESTATES, "Band 4"),
];

/// A team: name, its lead's role, and the roles of its members with weights.
struct TeamDef {
    name: &'static str,
    lead: &'static str,
    members: &'static [(&'static str, u32)],
}

const WARD: &[(&str, u32)] = &[
    ("NUR-RN5", 8),
    ("NUR-RN6", 3),
    ("NUR-HCA", 6),
    ("ADM-WC3", 1),
    ("MED-RES", 2),
];
const THERAPY: &[(&str, u32)] = &[
    ("AHP-PT6", 4),
    ("AHP-OT6", 4),
    ("NUR-HCA", 1),
    ("ADM-MS4", 1),
];
const CLINIC: &[(&str, u32)] = &[
    ("MED-CON", 2),
    ("MED-RES", 2),
    ("NUR-RN6", 2),
    ("ADM-MS4", 2),
];
const LAB: &[(&str, u32)] = &[("SCI-BMS6", 6), ("NUR-HCA", 1), ("ADM-WC3", 1)];
const DATA: &[(&str, u32)] = &[("DAT-AN6", 4), ("DAT-SIA7", 1)];
const DIGITAL: &[(&str, u32)] = &[
    ("DIG-EPR6", 3),
    ("DIG-TR5", 3),
    ("DIG-CSO", 1),
    ("DAT-AN6", 1),
];
const OFFICE: &[(&str, u32)] = &[("ADM-MS4", 3), ("ADM-WC3", 2), ("HR-AD4", 1)];
const HR: &[(&str, u32)] = &[("HR-BP7", 2), ("HR-AD4", 3)];
const FINANCE: &[(&str, u32)] = &[("FIN-AC6", 4), ("ADM-MS4", 1)];
const ESTATE: &[(&str, u32)] = &[("EST-POR", 6), ("EST-SUP", 1)];
const MATERNITY: &[(&str, u32)] = &[("MID-RM6", 8), ("NUR-HCA", 2), ("MED-RES", 1)];

const fn t(
    name: &'static str,
    lead: &'static str,
    members: &'static [(&'static str, u32)],
) -> TeamDef {
    TeamDef {
        name,
        lead,
        members,
    }
}

const DIRECTORATES: &[(&str, &[TeamDef])] = &[
    (
        "Medicine",
        &[
            t("Ward 7 (Acute Medicine)", "NUR-WM7", WARD),
            t("Ward 8 (Respiratory)", "NUR-WM7", WARD),
            t("Ward 9 (Gastroenterology)", "NUR-WM7", WARD),
            t("Ward 10 (Elderly Care)", "NUR-WM7", WARD),
            t("Acute Medical Unit", "NUR-WM7", WARD),
            t("Cardiology Outpatients", "MED-CON", CLINIC),
            t("Diabetes and Endocrinology", "MED-CON", CLINIC),
            t("Medicine Therapies", "AHP-LEAD", THERAPY),
        ],
    ),
    (
        "Surgery",
        &[
            t("Ward 20 (General Surgery)", "NUR-WM7", WARD),
            t("Ward 21 (Orthopaedics)", "NUR-WM7", WARD),
            t("Ward 22 (Urology)", "NUR-WM7", WARD),
            t("Day Surgery Unit", "NUR-WM7", WARD),
            t("Theatres", "NUR-MAT", WARD),
            t("Surgical Outpatients", "MED-CON", CLINIC),
            t("Surgical Therapies", "AHP-LEAD", THERAPY),
        ],
    ),
    (
        "Women's and Children's",
        &[
            t("Delivery Suite", "NUR-MAT", MATERNITY),
            t("Maternity Ward", "NUR-WM7", MATERNITY),
            t("Community Midwifery", "NUR-WM7", MATERNITY),
            t("Children's Ward", "NUR-WM7", WARD),
            t("Neonatal Unit", "NUR-WM7", WARD),
            t("Paediatric Outpatients", "MED-CON", CLINIC),
        ],
    ),
    (
        "Clinical Support Services",
        &[
            t("Pathology: Blood Sciences", "SCI-BMS6", LAB),
            t("Pathology: Microbiology", "SCI-BMS6", LAB),
            t("Radiology", "AHP-LEAD", &[("AHP-RAD6", 8), ("ADM-WC3", 2)]),
            t(
                "Pharmacy",
                "PST-PHA7",
                &[("PST-PHA7", 4), ("NUR-HCA", 2), ("ADM-WC3", 1)],
            ),
            t("Outpatient Therapies", "AHP-LEAD", THERAPY),
            t("Medical Records", "ADM-TL5", OFFICE),
        ],
    ),
    (
        "Community and Integrated Care",
        &[
            t(
                "District Nursing North",
                "NUR-WM7",
                &[("NUR-RN6", 5), ("NUR-RN5", 4), ("NUR-HCA", 3)],
            ),
            t(
                "District Nursing South",
                "NUR-WM7",
                &[("NUR-RN6", 5), ("NUR-RN5", 4), ("NUR-HCA", 3)],
            ),
            t("Community Therapies", "AHP-LEAD", THERAPY),
            t("Intermediate Care", "NUR-WM7", WARD),
            t(
                "Virtual Ward",
                "NUR-WM7",
                &[("NUR-RN6", 4), ("MED-CON", 1), ("DIG-EPR6", 1)],
            ),
        ],
    ),
    (
        "Corporate Services",
        &[
            t("Digital Services", "DIG-LEAD", DIGITAL),
            t("Information and Business Intelligence", "DAT-SIA7", DATA),
            t(
                "Clinical Informatics",
                "MED-CCIO",
                &[("DIG-CSO", 1), ("DIG-EPR6", 2), ("NUR-RN6", 1)],
            ),
            t("Human Resources", "HR-BP7", HR),
            t("Finance", "MGT-SM8A", FINANCE),
            t("Estates and Facilities", "EST-SUP", ESTATE),
            t(
                "Service Improvement",
                "MGT-SM8A",
                &[("MGT-SM8A", 1), ("DAT-AN6", 2), ("ADM-TL5", 1)],
            ),
            t(
                "Executive Office",
                "MGT-EXEC",
                &[("ADM-MS4", 2), ("ADM-TL5", 1)],
            ),
        ],
    ),
];

const GIVEN: &[&str] = &[
    "Aisha",
    "Amelia",
    "Ben",
    "Chidi",
    "Chloe",
    "Daniel",
    "Deepa",
    "Eilidh",
    "Emma",
    "Fatima",
    "George",
    "Grace",
    "Hannah",
    "Harry",
    "Imran",
    "Isla",
    "Jack",
    "Jasmine",
    "Joanna",
    "Kwame",
    "Laura",
    "Leah",
    "Liam",
    "Lucy",
    "Mariam",
    "Mark",
    "Megan",
    "Mohammed",
    "Nadia",
    "Niamh",
    "Oliver",
    "Olu",
    "Priya",
    "Rachel",
    "Rhys",
    "Ruth",
    "Sam",
    "Sarah",
    "Siobhan",
    "Sofia",
    "Tariq",
    "Thomas",
    "Tom",
    "Usha",
    "Victoria",
    "Wei",
    "Yusuf",
    "Zainab",
    "Zoe",
    "Agnieszka",
];

const FAMILY: &[&str] = &[
    "Adeyemi",
    "Ahmed",
    "Ali",
    "Andrews",
    "Baker",
    "Begum",
    "Bennett",
    "Brown",
    "Campbell",
    "Chen",
    "Clarke",
    "Davies",
    "Edwards",
    "Evans",
    "Fernandes",
    "Green",
    "Hall",
    "Hughes",
    "Hussain",
    "Jackson",
    "James",
    "Johnson",
    "Jones",
    "Kaur",
    "Khan",
    "Kowalski",
    "Lewis",
    "Martin",
    "Murphy",
    "Nguyen",
    "Njoku",
    "O'Brien",
    "Okafor",
    "Patel",
    "Roberts",
    "Robinson",
    "Shah",
    "Singh",
    "Smith",
    "Taylor",
    "Thomas",
    "Thompson",
    "Walker",
    "Ward",
    "Watson",
    "White",
    "Williams",
    "Wilson",
    "Wood",
    "Wright",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    pub directorates: usize,
    pub teams: usize,
    pub people: usize,
    pub job_roles: usize,
}

/// True when the database has no people yet (first run).
pub async fn is_empty(db: &impl ConnectionTrait) -> Result<bool, AppError> {
    Ok(person::Entity::find().count(db).await? == 0)
}

/// The demo system's workforce lead (with more than one organisation):
/// sees every organisation side by side, never anyone's own record.
pub const DEMO_LEAD: (&str, &str) = (
    "lead@skillmap.example",
    "the integrated care system's workforce lead",
);

/// The demo's organisations, in the order `--organisations` adds them:
/// (code, name, email domain, demo log-in subdomain). The first is the
/// trust a single-organisation demo shows; its log-ins have no subdomain.
pub const ORGANISATIONS: [(&str, &str, &str, &str); 5] = [
    ("RNF", TRUST_NAME, "northfield.nhs.example", ""),
    (
        "RXE",
        "Eastvale Community Health NHS Trust",
        "eastvale.nhs.example",
        "eastvale",
    ),
    (
        "RXM",
        "Millbrook Mental Health NHS Foundation Trust",
        "millbrook.nhs.example",
        "millbrook",
    ),
    (
        "U81001",
        "Riverside Primary Care Network",
        "riverside-pcn.nhs.example",
        "riverside",
    ),
    (
        "U81002",
        "Hillside Primary Care Network",
        "hillside-pcn.nhs.example",
        "hillside",
    ),
];

/// Each organisation's share of the staff, in `ORGANISATIONS` order (an
/// acute trust is the largest employer of a system, primary care networks
/// the smallest).
const STAFF_SHARE: [usize; 5] = [50, 20, 15, 8, 7];

/// The demo log-in of `role` in the `index`th demo organisation.
pub fn demo_login(index: usize, role: Role) -> String {
    let (email, _, _) = DEMO_ACCOUNTS
        .iter()
        .find(|(_, r, _)| *r == role)
        .expect("every role has a demo log-in");
    match ORGANISATIONS[index].3 {
        "" => (*email).to_string(),
        sub => email.replace("@skillmap.example", &format!("@{sub}.skillmap.example")),
    }
}

/// Loads the demo organisation with about `staff` people, all in one
/// transaction: an error leaves the database as it was.
pub async fn seed(
    db: &(impl ConnectionTrait + TransactionTrait),
    staff: usize,
    all_skills: bool,
) -> Result<DemoSummary, AppError> {
    seed_system(db, staff, all_skills, 1).await
}

/// Loads a demo integrated care system: the first `organisations` of
/// `ORGANISATIONS` (1 to 5), about `staff` people in all shared among
/// them, each organisation with its own units, job roles, people, award
/// kinds and demo log-ins, all in one transaction. One organisation is
/// exactly `seed`'s demo.
pub async fn seed_system(
    db: &(impl ConnectionTrait + TransactionTrait),
    staff: usize,
    all_skills: bool,
    organisations: usize,
) -> Result<DemoSummary, AppError> {
    if !(1..=ORGANISATIONS.len()).contains(&organisations) {
        return Err(AppError::validation(
            "organisations",
            format!("The demo has 1 to {} organisations.", ORGANISATIONS.len()),
        ));
    }
    if !is_empty(db).await? {
        return Err(AppError::Conflict(
            "The database already has people in it; demo data goes only into an empty database"
                .into(),
        ));
    }
    let now = Utc::now();
    crate::framework::service::ensure_default(db).await?;
    let framework = crate::framework::read::current_model(db).await?;
    let requirements = demo_requirements();
    let every_skill = if all_skills {
        crate::framework::read::skill_codes(db).await?
    } else {
        Vec::new()
    };
    let txn = db.begin().await?;
    let cache = SeedCache::widen(&txn).await?;
    let shares: usize = STAFF_SHARE[..organisations].iter().sum();
    let mut people = PersonFactory::new(now);
    let mut summary = DemoSummary {
        directorates: 0,
        teams: 0,
        people: 0,
        job_roles: 0,
    };
    let mut all_demo_ids = Vec::new();
    let mut first_of_org = Vec::new();
    for (index, share) in STAFF_SHARE.iter().enumerate().take(organisations) {
        first_of_org.push(people.roles.len());
        let org_staff = if organisations == 1 {
            staff
        } else {
            staff * share / shares
        };
        let (demo_ids, one) = seed_organisation(
            &txn,
            index,
            org_staff,
            &requirements,
            &every_skill,
            framework.version,
            &mut people,
            now,
        )
        .await?;
        summary.directorates += one.directorates;
        summary.teams += one.teams;
        summary.job_roles += one.job_roles;
        all_demo_ids.push(demo_ids);
    }
    summary.people = people.count;
    first_of_org.push(people.roles.len());
    if organisations > 1 {
        accounts::create_account(&txn, DEMO_LEAD.0, Role::Lead, DEMO_PASSWORD, None, None).await?;
    }

    seed_directory(&txn, all_demo_ids[0][0], now).await?;
    crate::team::summary::rebuild(&txn).await?;
    crate::team::summary::backfill_trend(&txn).await?;
    // The history was written directly: where each review cycle starts.
    crate::profile::review_base::rebuild_bases(&txn).await?;
    seed_mentors(&txn).await?;
    for demo_ids in &all_demo_ids {
        seed_learning(&txn, demo_ids).await?;
    }
    crate::recognition::service::backfill_badges(&txn).await?;
    for (index, demo_ids) in all_demo_ids.iter().enumerate() {
        let of_org = &people.roles[first_of_org[index]..first_of_org[index + 1]];
        seed_recognition(&txn, index, of_org, demo_ids[0], now).await?;
    }
    cache.restore(&txn).await?;
    txn.commit().await?;
    Ok(summary)
}

/// On SQLite, the seeding connection's page cache, widened for the one
/// transaction that writes the whole demo. Its pages all live in the
/// write-ahead log until the commit, and every page the cache misses is
/// looked up there through hash tables that grow with the log: at
/// 100,000 staff (a log of several gigabytes) those lookups were most of
/// the seed's time (perf: `walFindFrame`), and the seed took 40 minutes.
/// Kept in the cache, the pages are not looked up at all. The cache is
/// set back before the commit, so the connection returns to the pool as
/// it was.
struct SeedCache(Option<i64>);

impl SeedCache {
    /// Pages (negative: KiB) the cache may hold while seeding: 4 GiB, an
    /// upper bound (SQLite takes the memory as pages are touched, and the
    /// largest demo's database is about that size).
    const SEEDING: i64 = -4 * 1024 * 1024;

    async fn widen(txn: &impl ConnectionTrait) -> Result<Self, AppError> {
        if txn.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
            return Ok(SeedCache(None));
        }
        let was: i64 = txn
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Sqlite,
                "PRAGMA cache_size",
            ))
            .await?
            .ok_or(AppError::Internal)?
            .try_get_by_index(0)?;
        txn.execute_unprepared(&format!("PRAGMA cache_size = {}", Self::SEEDING))
            .await?;
        Ok(SeedCache(Some(was)))
    }

    async fn restore(self, txn: &impl ConnectionTrait) -> Result<(), AppError> {
        if let Some(was) = self.0 {
            txn.execute_unprepared(&format!("PRAGMA cache_size = {was}"))
                .await?;
        }
        Ok(())
    }
}

/// The `index`th demo organisation's units, job roles, people, their
/// assessments and its demo log-ins; returns the demo people's ids (staff
/// member, manager, HR, administrator).
#[allow(clippy::too_many_arguments)]
async fn seed_organisation(
    txn: &impl ConnectionTrait,
    index: usize,
    staff: usize,
    requirements: &std::collections::HashMap<String, Vec<DemoRequirement>>,
    every_skill: &[String],
    framework_version: i32,
    people: &mut PersonFactory,
    now: chrono::DateTime<Utc>,
) -> Result<([Option<i32>; 4], DemoSummary), AppError> {
    use crate::entities::organisation;
    let (org_code, org_name, domain, _) = ORGANISATIONS[index];
    // Every team gets at least one member besides its lead.
    let staff = staff.max(100);
    // Each organisation draws from its own sequence, so the first one is
    // the same whatever follows it.
    let mut rng = StdRng::seed_from_u64(2021 + index as u64);
    // The first organisation is the one every database has (the migration
    // makes it): the demo names it. The others are added.
    let org_id = if index == 0 {
        let first = organisation::Entity::find()
            .order_by_asc(organisation::Column::Id)
            .one(txn)
            .await?
            .ok_or(AppError::Internal)?;
        let mut active: organisation::ActiveModel = first.into();
        active.code = Set(org_code.into());
        active.name = Set(org_name.into());
        active.update(txn).await?.id
    } else {
        organisation::ActiveModel {
            code: Set(org_code.into()),
            name: Set(org_name.into()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?
        .id
    };
    people.organisation(org_id, domain);
    // Codes are unique across the system: the first organisation keeps the
    // demo's plain codes, the others are prefixed with their own.
    let coded = |code: &str| {
        if index == 0 {
            code.to_string()
        } else {
            format!("{org_code}-{code}")
        }
    };

    let mut role_ids = std::collections::HashMap::new();
    for def in ROLES {
        let m = job_role::ActiveModel {
            organisation_id: Set(org_id),
            code: Set(coded(def.code)),
            title: Set(def.title.into()),
            staff_group: Set(def.group.into()),
            band: Set(def.band.into()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        role_ids.insert(def.code, m.id);
        let rows: Vec<role_requirement::ActiveModel> = requirements
            .get(def.code)
            .into_iter()
            .flatten()
            .map(|r| role_requirement::ActiveModel {
                job_role_id: Set(m.id),
                skill_code: Set(r.skill.clone()),
                level: Set(i16::from(r.level)),
                essential: Set(r.essential),
                ..Default::default()
            })
            .collect();
        if !rows.is_empty() {
            role_requirement::Entity::insert_many(rows)
                .exec(txn)
                .await?;
        }
    }
    let role = |code: &str| ROLES.iter().find(|r| r.code == code).expect("role defined");

    let trust = unit(txn, org_id, None, org_code, org_name, "trust").await?;
    let team_count: usize = DIRECTORATES.iter().map(|(_, teams)| teams.len()).sum();
    // Leaders (1 chief + 1 per directorate + 1 per team) count towards the total.
    let members_total = staff.saturating_sub(1 + DIRECTORATES.len() + team_count);
    let first_person = people.roles.len();
    let per_team = members_total / team_count;
    let mut extra = members_total % team_count;

    let chief = people
        .add(
            txn,
            &mut rng,
            trust.id,
            role("MGT-EXEC"),
            role_ids["MGT-EXEC"],
            None,
        )
        .await?;

    let mut demo_ids: [Option<i32>; 4] = [None; 4];
    for (d_index, (d_name, teams)) in DIRECTORATES.iter().enumerate() {
        let d_unit = unit(
            txn,
            org_id,
            Some(trust.id),
            &format!("{org_code}-D{}", d_index + 1),
            d_name,
            "directorate",
        )
        .await?;
        let gm = people
            .add(
                txn,
                &mut rng,
                d_unit.id,
                role("MGT-GM8C"),
                role_ids["MGT-GM8C"],
                Some(chief),
            )
            .await?;
        for (t_index, team) in teams.iter().enumerate() {
            let code = format!("{org_code}-D{}-T{:02}", d_index + 1, t_index + 1);
            let t_unit = unit(txn, org_id, Some(d_unit.id), &code, team.name, "team").await?;
            let lead = people
                .add(
                    txn,
                    &mut rng,
                    t_unit.id,
                    role(team.lead),
                    role_ids[team.lead],
                    Some(gm),
                )
                .await?;
            let size = per_team + usize::from(extra > 0);
            extra = extra.saturating_sub(1);
            let weights: u32 = team.members.iter().map(|(_, w)| w).sum();
            let mut first_member = None;
            let mut first_nurse = None;
            for i in 0..size {
                // Spread roles by weight, deterministically.
                let mut pick = ((i as u32 * 7919) + rng.gen_range(0..weights)) % weights;
                let code = team
                    .members
                    .iter()
                    .find(|(_, w)| {
                        if pick < *w {
                            true
                        } else {
                            pick -= w;
                            false
                        }
                    })
                    .map(|(c, _)| *c)
                    .unwrap_or(team.members[0].0);
                let id = people
                    .add(
                        txn,
                        &mut rng,
                        t_unit.id,
                        role(code),
                        role_ids[code],
                        Some(lead),
                    )
                    .await?;
                first_member.get_or_insert(id);
                if code == "NUR-RN5" {
                    first_nurse.get_or_insert(id);
                }
            }
            match team.name {
                "Ward 7 (Acute Medicine)" => {
                    demo_ids[0] = first_nurse.or(first_member);
                    demo_ids[1] = Some(lead);
                }
                "Human Resources" => demo_ids[2] = Some(lead),
                "Digital Services" => demo_ids[3] = Some(lead),
                _ => {}
            }
        }
    }

    // Everyone but the demo staff member has assessed part of their profile
    // (most of it agreed), so managers and reports have something to show;
    // the demo staff member starts fresh.
    seed_assessments(
        txn,
        &mut rng,
        requirements,
        every_skill,
        &people.roles[first_person..],
        demo_ids[0],
        framework_version,
        now,
    )
    .await?;

    for ((_, role, _), person_id) in DEMO_ACCOUNTS.iter().zip(demo_ids) {
        let email = demo_login(index, *role);
        accounts::create_account(txn, &email, *role, DEMO_PASSWORD, person_id, Some(org_id))
            .await?;
    }
    Ok((
        demo_ids,
        DemoSummary {
            directorates: DIRECTORATES.len(),
            teams: team_count,
            people: people.roles.len() - first_person,
            job_roles: ROLES.len(),
        },
    ))
}

/// A third of the demo's people are in the expertise directory (one in
/// six of them showing self-assessed levels too), and half of their agreed
/// Practitioner-or-above skills are offered as help; some people want to
/// develop a leadership or a data skill, so the directory, the heatmap's
/// interest filter and the pipeline's "interested" group have something to
/// show. The demo staff member starts fresh.
async fn seed_directory(
    db: &impl ConnectionTrait,
    demo_staff: Option<i32>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    use sea_orm::{Statement, Value};
    let backend = db.get_database_backend();
    let staff = demo_staff.unwrap_or(0);
    let run = |sql: &'static str, values: Vec<Value>| {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            crate::kernel::db::placeholders(backend, sql),
            values,
        ))
    };
    run(
        "INSERT INTO directory_entry (person_id, show_self_assessed, contact, joined_at) \
         SELECT id, CASE WHEN id % 6 = 0 THEN TRUE ELSE FALSE END, '', ? FROM person \
         WHERE id % 3 = 0 AND id <> ?",
        vec![now.into(), staff.into()],
    )
    .await?;
    run(
        "INSERT INTO skill_interest (person_id, skill_code, develop, help, updated_at) \
         SELECT a.person_id, a.skill_code, FALSE, TRUE, ? FROM assessment a \
         JOIN directory_entry d ON d.person_id = a.person_id \
         WHERE a.status = 'agreed' AND a.agreed_level >= 3 \
         AND (a.person_id + LENGTH(a.skill_code)) % 2 = 0",
        vec![now.into()],
    )
    .await?;
    for (skill, modulus, rest) in [("LEAD-BRIDGE", 4, 1), ("DAT-ANA", 5, 2)] {
        run(
            "INSERT INTO skill_interest (person_id, skill_code, develop, help, updated_at) \
             SELECT p.id, ?, TRUE, FALSE, ? FROM person p WHERE p.id % ? = ? AND p.id <> ? \
             AND NOT EXISTS (SELECT 1 FROM skill_interest i \
             WHERE i.person_id = p.id AND i.skill_code = ?)",
            vec![
                skill.into(),
                now.into(),
                modulus.into(),
                rest.into(),
                staff.into(),
                skill.into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// Everyone with an agreed Expert level offers mentoring, and most people
/// in the demo leads' teams have accepted their recommended pathway, some
/// with steps started or done, so the learning pages have something to
/// show. The demo staff member starts fresh.
async fn seed_learning(
    db: &(impl ConnectionTrait + TransactionTrait),
    demo_ids: &[Option<i32>; 4],
) -> Result<(), AppError> {
    use crate::entities::{pathway, pathway_step};
    use crate::pathways::model::StepAction;
    use crate::pathways::service;
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};

    for lead in demo_ids[1..].iter().flatten() {
        let reports = person::Entity::find()
            .filter(person::Column::LineManagerId.eq(*lead))
            .order_by_asc(person::Column::Id)
            .all(db)
            .await?;
        for (i, p) in reports.iter().enumerate() {
            if Some(p.id) == demo_ids[0] || i % 4 == 3 {
                continue;
            }
            let mine = service::my_learning(db, p.id, None, None).await?;
            if mine.plan.steps.is_empty() {
                continue;
            }
            service::accept(db, p.id, None, None, &mine.plan.fingerprint()).await?;
            let Some(path) = pathway::Entity::find()
                .filter(pathway::Column::PersonId.eq(p.id))
                .one(db)
                .await?
            else {
                continue;
            };
            let steps = pathway_step::Entity::find()
                .filter(pathway_step::Column::PathwayId.eq(path.id))
                .order_by_asc(pathway_step::Column::Position)
                .all(db)
                .await?;
            let progress: &[StepAction] = match i % 4 {
                0 => &[StepAction::Done, StepAction::Start],
                1 => &[StepAction::Start],
                _ => &[],
            };
            for (step, action) in steps.iter().zip(progress) {
                service::update_step(db, p.id, step.id, *action).await?;
            }
        }
    }
    Ok(())
}

/// Everyone with an agreed Expert level offers to mentor (every
/// organisation's, once).
async fn seed_mentors(db: &impl ConnectionTrait) -> Result<(), AppError> {
    use crate::entities::mentor;
    use sea_orm::Statement;
    let backend = db.get_database_backend();
    let experts: Vec<i32> = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT DISTINCT person_id AS id FROM assessment WHERE agreed_level = 4 ORDER BY person_id",
        ))
        .await?
        .into_iter()
        .map(|r| r.try_get::<i32>("", "id"))
        .collect::<Result<_, _>>()?;
    let now = Utc::now();
    for chunk in experts.chunks(500) {
        mentor::Entity::insert_many(chunk.iter().map(|id| mentor::ActiveModel {
            person_id: Set(*id),
            since: Set(now),
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

/// Award kinds, and six months of endorsements and awards spread over the
/// organisation (about one person in five), so the recognition pages and
/// HR's report have something to show. The demo staff member starts with
/// none.
async fn seed_recognition(
    db: &impl ConnectionTrait,
    index: usize,
    people: &[(i32, &'static str, Option<i32>, String)],
    demo_staff: Option<i32>,
    now: chrono::DateTime<Utc>,
) -> Result<(), AppError> {
    use crate::entities::{award_kind, recognition};
    const KINDS: [(&str, &str); 3] = [
        (
            "Digital champion",
            "Helped colleagues take up a digital tool or way of working.",
        ),
        (
            "Data hero",
            "Used data well to improve care or how the team works.",
        ),
        (
            "Bridge builder",
            "Brought clinical, managerial and digital people together to change something.",
        ),
    ];
    let org_id = organisation_of(db, people).await?;
    let mut kinds = Vec::new();
    for (name, description) in KINDS {
        // Award names are unique across the system: the first
        // organisation's are plain, the others' carry a short name.
        let name = match ORGANISATIONS[index].3 {
            "" => name.to_string(),
            sub => format!("{name} ({})", capitalised(sub)),
        };
        kinds.push(
            award_kind::ActiveModel {
                organisation_id: Set(org_id),
                name: Set(name),
                description: Set(description.into()),
                active: Set(true),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?,
        );
    }
    let skills = crate::framework::read::skill_codes(db).await?;
    if skills.is_empty() {
        return Ok(());
    }
    let framework = crate::framework::read::current(db).await?;
    let names: std::collections::HashMap<i32, &str> = people
        .iter()
        .map(|(id, _, _, n)| (*id, n.as_str()))
        .collect();
    const MESSAGES: [&str; 4] = [
        "Showed the whole team how to use the new e-rostering app, patiently, on every shift.",
        "Turned our audit spreadsheet into a clear weekly chart that the ward now uses at huddles.",
        "Spotted the gap between the clinic letters and the new system, and got it fixed with IT.",
        "Ran a lunchtime session on information governance that people actually enjoyed.",
    ];
    let mut rows = Vec::new();
    for (i, (id, _, manager, _)) in people.iter().enumerate() {
        let Some(manager) = manager else { continue };
        if Some(*id) == demo_staff || i % 5 != 1 {
            continue;
        }
        let days = (i * 37 % 180) as i64;
        let award = i % 3 == 0;
        // Every kind in turn (awards fall on every 15th person).
        let kind = &kinds[(i / 15) % kinds.len()];
        let skill = &skills[i % skills.len()];
        rows.push(recognition::ActiveModel {
            person_id: Set(*id),
            kind: Set(if award { "award" } else { "endorsement" }.into()),
            skill_code: Set((!award).then(|| skill.clone())),
            skill_name: Set((!award).then(|| {
                framework
                    .skill(skill)
                    .map(|s| s.name.clone())
                    .unwrap_or_else(|| skill.clone())
            })),
            award_kind_id: Set(award.then_some(kind.id)),
            award_name: Set(award.then(|| kind.name.clone())),
            message: Set(MESSAGES[i % MESSAGES.len()].into()),
            given_by_id: Set(Some(*manager)),
            given_by_name: Set(names.get(manager).copied().unwrap_or("A colleague").into()),
            created_at: Set(now - chrono::Duration::days(days)),
            hidden: Set(false),
            ..Default::default()
        });
    }
    for chunk in rows.chunks(500) {
        recognition::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    Ok(())
}

/// True when the demo accounts are present (so their log-ins can be shown).
pub async fn has_demo_accounts(db: &impl ConnectionTrait) -> Result<bool, AppError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    Ok(account::Entity::find()
        .filter(account::Column::Email.eq(DEMO_ACCOUNTS[0].0))
        .one(db)
        .await?
        .is_some())
}

/// The organisation of the demo people given (all of one organisation).
async fn organisation_of(
    db: &impl ConnectionTrait,
    people: &[(i32, &'static str, Option<i32>, String)],
) -> Result<i32, AppError> {
    let first = people.first().ok_or(AppError::Internal)?;
    Ok(person::Entity::find_by_id(first.0)
        .one(db)
        .await?
        .ok_or(AppError::Internal)?
        .organisation_id)
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

async fn unit(
    db: &impl ConnectionTrait,
    organisation_id: i32,
    parent: Option<i32>,
    code: &str,
    name: &str,
    kind: &str,
) -> Result<org_unit::Model, AppError> {
    Ok(org_unit::ActiveModel {
        organisation_id: Set(organisation_id),
        parent_id: Set(parent),
        code: Set(code.into()),
        name: Set(name.into()),
        kind: Set(kind.into()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Makes people with unique employee numbers and emails. Inserted one by one
/// because each leader's id is the next level's line manager; the whole seed
/// is one transaction, which keeps this quick even for thousands.
struct PersonFactory {
    now: chrono::DateTime<Utc>,
    count: usize,
    /// The organisation people are made in now, and its email domain.
    organisation_id: i32,
    domain: &'static str,
    /// (person id, job role code, line manager, name) of everyone made.
    roles: Vec<(i32, &'static str, Option<i32>, String)>,
}

impl PersonFactory {
    fn new(now: chrono::DateTime<Utc>) -> Self {
        Self {
            now,
            count: 0,
            organisation_id: 0,
            domain: "",
            roles: Vec::new(),
        }
    }

    /// People made from now on belong to this organisation.
    fn organisation(&mut self, organisation_id: i32, domain: &'static str) {
        self.organisation_id = organisation_id;
        self.domain = domain;
    }

    async fn add(
        &mut self,
        db: &impl ConnectionTrait,
        rng: &mut StdRng,
        org_unit_id: i32,
        role: &RoleDef,
        job_role_id: i32,
        line_manager_id: Option<i32>,
    ) -> Result<i32, AppError> {
        self.count += 1;
        let given = GIVEN[rng.gen_range(0..GIVEN.len())];
        let family = FAMILY[rng.gen_range(0..FAMILY.len())];
        let number = format!("{:08}", 10_000_000 + self.count * 37);
        let email = format!(
            "{}.{}{}@{}",
            given.to_lowercase(),
            family.to_lowercase().replace('\'', ""),
            self.count,
            self.domain
        );
        let m = person::ActiveModel {
            organisation_id: Set(self.organisation_id),
            employee_number: Set(number),
            given_name: Set(given.into()),
            family_name: Set(family.into()),
            email: Set(Some(email)),
            staff_group: Set(role.group.into()),
            band: Set(role.band.into()),
            org_unit_id: Set(org_unit_id),
            job_role_id: Set(Some(job_role_id)),
            line_manager_id: Set(line_manager_id),
            created_at: Set(self.now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        self.roles.push((
            m.id,
            role.code,
            line_manager_id,
            format!("{given} {family}"),
        ));
        Ok(m.id)
    }
}

#[derive(serde::Deserialize)]
struct DemoRequirement {
    skill: String,
    level: u8,
    essential: bool,
}

/// Realistic requirements for the demo job roles (server/src/demo_requirements.json).
fn demo_requirements() -> std::collections::HashMap<String, Vec<DemoRequirement>> {
    serde_json::from_str(include_str!("demo_requirements.json"))
        .expect("demo requirements parse (checked by a unit test)")
}

/// How far a demo person's levels lean from what their role needs, so that
/// units, bands and staff groups differ as the 2021 review found them to
/// (variable commitment to digital transformation between teams, too few
/// integrative leaders, staff left behind digitally): see
/// docs/organisations.md, "The demo's levels". Drawn from the person's
/// team (their manager) and role, never from the seeded generator, so the
/// demo's other draws are as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lean {
    /// The team's culture: -1 (a team needing support), 0, or +1 (a team
    /// well ahead), for every skill.
    team: i16,
    /// By domain (data, leadership): from band and staff group.
    data: i16,
    leadership: i16,
    /// In a staff group the review's digital-inequality finding is about:
    /// more of its people are behind (`person`).
    left_behind: bool,
}

impl Lean {
    fn of(role: &str, manager: Option<i32>) -> Self {
        // About one team in six behind, one in four ahead, the rest
        // typical: a fixed mix of each manager's id, so a team leans
        // together.
        let team = match manager.map(|m| (m as u32).wrapping_mul(2_654_435_761) % 20) {
            Some(0..=2) => -1,
            Some(15..=19) => 1,
            _ => 0,
        };
        let def = ROLES.iter().find(|d| d.code == role);
        let group = def.map_or("", |d| d.group);
        let band = def.map_or("", |d| d.band);
        let senior = matches!(
            band,
            "Band 7" | "Band 8a" | "Band 8b" | "Band 8c" | "Band 8d" | "Band 9" | "Consultant"
        );
        let junior = matches!(band, "Band 2" | "Band 3" | "Band 4");
        // Staff groups the review's digital-inequality finding is about:
        // support and estates roles, whose work has least digital in it.
        let left_behind = group == ADDITIONAL || group == ESTATES;
        Lean {
            team,
            data: if group == MEDICAL || group == SCIENTIST || group == PST {
                1
            } else {
                0
            },
            leadership: if senior {
                1
            } else if junior {
                -1
            } else {
                0
            },
            left_behind,
        }
    }

    /// The person's own lean, for every skill: one in twelve behind and
    /// one in three ahead of the rest of their team; in the staff groups
    /// left behind, one in three behind and one in seven ahead.
    fn person(self, own: &mut StdRng) -> i16 {
        let roll = own.gen_range(0..100);
        let (behind, ahead) = if self.left_behind { (35, 85) } else { (8, 63) };
        if roll < behind {
            -1
        } else if roll < ahead {
            0
        } else {
            1
        }
    }

    /// One skill's own variation: mostly none, now and then one either way.
    fn noise(own: &mut StdRng) -> i16 {
        match own.gen_range(0..20) {
            0 => -1,
            1..=16 => 0,
            _ => 1,
        }
    }

    /// The shift for one skill, by its domain (its code's prefix).
    fn shift(self, skill: &str) -> i16 {
        let domain = if skill.starts_with("DIG") {
            0
        } else if skill.starts_with("DAT") {
            self.data
        } else {
            self.leadership
        };
        self.team + domain
    }
}

#[allow(clippy::too_many_arguments)]
async fn seed_assessments(
    db: &impl ConnectionTrait,
    rng: &mut StdRng,
    requirements: &std::collections::HashMap<String, Vec<DemoRequirement>>,
    every_skill: &[String],
    people: &[(i32, &'static str, Option<i32>, String)],
    skip: Option<i32>,
    framework_version: i32,
    now: chrono::DateTime<Utc>,
) -> Result<(), AppError> {
    let names: std::collections::HashMap<i32, &str> = people
        .iter()
        .map(|(id, _, _, n)| (*id, n.as_str()))
        .collect();
    let mut assessments = Vec::new();
    let mut plans = Vec::new();
    for (id, role, manager, name) in people {
        if Some(*id) == skip {
            continue;
        }
        let required = requirements.get(*role).into_iter().flatten();
        // The role's skills (most of them), or every skill: (code, the
        // level the person is near).
        let targets: Vec<(String, i16)> = if every_skill.is_empty() {
            required
                .filter(|_| rng.gen_bool(0.7))
                .map(|r| (r.skill.clone(), i16::from(r.level)))
                .collect()
        } else {
            let by_code: std::collections::HashMap<&str, u8> =
                required.map(|r| (r.skill.as_str(), r.level)).collect();
            every_skill
                .iter()
                .map(|c| {
                    (
                        c.clone(),
                        i16::from(by_code.get(c.as_str()).copied().unwrap_or(2)),
                    )
                })
                .collect()
        };
        let lean = Lean::of(role, *manager);
        // The person's own spread: from their id, not the shared generator,
        // whose draws below stay as they were (their dates, who agreed).
        let mut own = StdRng::seed_from_u64(0x5eed_0000 ^ u64::from(id.unsigned_abs()));
        let person = lean.person(&mut own);
        for (skill, near) in targets {
            let _ = rng.gen_range(-2..=1);
            let level = (near + lean.shift(&skill) + person + Lean::noise(&mut own)).clamp(0, 4);
            let agreed = manager.is_some() && rng.gen_bool(0.7);
            let _ = rng.gen_range(-1..=0);
            // A manager agrees most levels as given, and one in ten a
            // level lower.
            let lower = own.gen_bool(0.1);
            let agreed_level = agreed.then(|| (level - i16::from(lower)).clamp(0, 4));
            // Spread over the last year, so the trend has a history; the
            // agreement follows within a month.
            let assessed_at = now - chrono::Duration::days(rng.gen_range(1..=365));
            let agreed_at = (assessed_at + chrono::Duration::days(rng.gen_range(1..=30))).min(now);
            assessments.push(assessment::ActiveModel {
                person_id: Set(*id),
                skill_code: Set(skill.clone()),
                framework_version: Set(framework_version),
                self_level: Set(level),
                confidence: Set(Some(rng.gen_range(1..=3))),
                evidence: Set(String::new()),
                evidence_url: Set(None),
                agreed_level: Set(agreed_level),
                status: Set(if agreed { "agreed" } else { "pending" }.into()),
                manager_comment: Set(None),
                reviewed_by: Set(if agreed { *manager } else { None }),
                reviewed_at: Set(agreed.then_some(agreed_at)),
                revision: Set(if agreed { 2 } else { 1 }),
                updated_at: Set(if agreed { agreed_at } else { assessed_at }),
                ..Default::default()
            });
            plans.push((
                *id,
                skill,
                name.clone(),
                level,
                agreed_level,
                *manager,
                assessed_at,
                agreed_at,
            ));
        }
    }
    for chunk in assessments.chunks(400) {
        assessment::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    // History rows need the assessments' ids: this batch's people only
    // (their ids are one run), not every organisation seeded before.
    let (first, last) = people
        .iter()
        .fold((i32::MAX, i32::MIN), |(lo, hi), (id, ..)| {
            (lo.min(*id), hi.max(*id))
        });
    let ids: std::collections::HashMap<(i32, String), i32> = assessment::Entity::find()
        .filter(assessment::Column::PersonId.between(first, last))
        .all(db)
        .await?
        .into_iter()
        .map(|a| ((a.person_id, a.skill_code), a.id))
        .collect();
    let mut events = Vec::new();
    for (person_id, code, name, level, agreed_level, manager, assessed_at, agreed_at) in plans {
        let assessment_id = ids[&(person_id, code.clone())];
        let event = |actor: Option<i32>, actor_name: String, kind: &str, to: i16, at| {
            assessment_event::ActiveModel {
                assessment_id: Set(assessment_id),
                person_id: Set(person_id),
                skill_code: Set(code.clone()),
                actor_person_id: Set(actor),
                actor_name: Set(actor_name),
                kind: Set(kind.into()),
                from_level: Set(None),
                to_level: Set(to),
                comment: Set(None),
                at: Set(at),
                ..Default::default()
            }
        };
        events.push(event(
            Some(person_id),
            name.clone(),
            "self",
            level,
            assessed_at,
        ));
        if let (Some(agreed), Some(m)) = (agreed_level, manager) {
            let kind = if agreed == level { "agreed" } else { "changed" };
            let manager_name = names.get(&m).copied().unwrap_or("Manager").to_string();
            events.push(event(Some(m), manager_name, kind, agreed, agreed_at));
        }
    }
    for chunk in events.chunks(400) {
        assessment_event::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_requirements_name_real_roles_and_skills() {
        let doc = crate::framework::read::default_doc();
        let skills: Vec<&str> = doc
            .domains
            .iter()
            .flat_map(|d| d.skills.iter().map(|s| s.code.as_str()))
            .collect();
        let reqs = demo_requirements();
        for role in ROLES {
            let list = reqs
                .get(role.code)
                .unwrap_or_else(|| panic!("{} has requirements", role.code));
            for r in list {
                assert!(
                    skills.contains(&r.skill.as_str()),
                    "{}: {}",
                    role.code,
                    r.skill
                );
                assert!((1..=4).contains(&r.level));
            }
        }
    }
}
