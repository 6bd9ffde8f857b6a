//! Notices: written in the transaction of the change that causes them, with
//! their email queued in the same transaction (the inbox row is the
//! outbox), so a change and the word of it are saved together or not at
//! all, and a mail server that is down delays email without losing any.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::model::{
    Choice, INBOX_PAGE, Inbox, Kind, Notice, Preferences, muted_codes, parse_muted,
};
use crate::auth::model::Role;
use crate::entities::{account, notification, notification_pref, person};
use crate::error::AppError;
use crate::kernel::queue::{self, NewJob};

/// The email states of a notice.
pub mod email_state {
    /// Waiting for its job to send it.
    pub const QUEUED: &str = "queued";
    /// Waiting for the person's daily digest.
    pub const DIGEST: &str = "digest";
    pub const SENT: &str = "sent";
    /// Not to be emailed: the person turned the kind off, or this Skillmap
    /// sends no email.
    pub const NONE: &str = "none";
    /// Refused for good by the mail server (its job is dead).
    pub const FAILED: &str = "failed";
}

/// The job that emails one notice (payload `{"notice": id}`).
pub const SEND_JOB: &str = "mail.notice";
/// The job that emails one person's digest (payload `{"account": id}`).
pub const DIGEST_JOB: &str = "mail.digest";
/// The job that tells a manager how many levels wait for them.
pub const LEVELS_WAITING_JOB: &str = "notify.levels_waiting";
/// Tries before an email is given up on: with the back-off capped at an
/// hour, about half a day of a mail server being down.
pub const MAIL_ATTEMPTS: i32 = 20;

static EMAIL_ON: AtomicBool = AtomicBool::new(false);
static BATCH_SECONDS: AtomicU64 = AtomicU64::new(15 * 60);

/// Set once at start-up from the settings: whether email is sent at all,
/// and how long a manager's notices about saved levels are gathered. (A
/// process-wide setting, as the password hashing limit is, so that every
/// service that notifies need not carry the settings.)
pub fn configure(email: bool, batch: std::time::Duration) {
    EMAIL_ON.store(email, Ordering::Relaxed);
    BATCH_SECONDS.store(batch.as_secs(), Ordering::Relaxed);
}

pub fn email_configured() -> bool {
    EMAIL_ON.load(Ordering::Relaxed)
}

/// A notice to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub kind: Kind,
    pub title: String,
    pub body: String,
    /// A local path.
    pub link: String,
    /// At most one notice with this key is ever written.
    pub dedupe_key: Option<String>,
}

impl NewNotice {
    /// The title becomes an email's subject: one line, no control
    /// characters (names and skills people typed are in it), at most 200
    /// characters. The body keeps its line breaks and nothing else of the
    /// kind.
    pub fn new(kind: Kind, title: impl Into<String>, body: impl Into<String>, link: &str) -> Self {
        let title: String = title
            .into()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(200)
            .collect();
        let body: String = body
            .into()
            .chars()
            .filter(|c| *c == '\n' || !c.is_control())
            .collect();
        Self {
            kind,
            title: title.trim().to_string(),
            body,
            link: local_link(link),
            dedupe_key: None,
        }
    }

    pub fn once(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }
}

/// Only a path on this site: a notice never links elsewhere.
fn local_link(link: &str) -> String {
    if link.starts_with('/')
        && !link.starts_with("//")
        && !link.contains('\\')
        && !link.chars().any(char::is_control)
    {
        link.to_string()
    } else {
        "/notifications".to_string()
    }
}

fn state_for(kind: Kind, pref: Option<&notification_pref::Model>) -> &'static str {
    if !email_configured() {
        return email_state::NONE;
    }
    match pref {
        Some(p) if !kind.required() && parse_muted(&p.muted).contains(&kind) => email_state::NONE,
        Some(p) if p.daily_digest => email_state::DIGEST,
        _ => email_state::QUEUED,
    }
}

/// Writes a notice to an account and queues its email by the person's
/// choices. Disabled accounts hear nothing. Returns the notice's id, or
/// `None` when nothing was written (a disabled account, or a notice with
/// the same key written before).
pub async fn notify(
    db: &impl ConnectionTrait,
    account_id: i32,
    n: NewNotice,
) -> Result<Option<i32>, AppError> {
    let enabled = account::Entity::find_by_id(account_id)
        .select_only()
        .column(account::Column::Disabled)
        .into_tuple::<bool>()
        .one(db)
        .await?
        .is_some_and(|disabled| !disabled);
    if !enabled {
        return Ok(None);
    }
    let pref = notification_pref::Entity::find_by_id(account_id)
        .one(db)
        .await?;
    let state = state_for(n.kind, pref.as_ref());
    let row = notification::ActiveModel {
        account_id: Set(account_id),
        kind: Set(n.kind.code().into()),
        title: Set(n.title),
        body: Set(n.body),
        link: Set(n.link),
        created_at: Set(Utc::now()),
        read_at: Set(None),
        email_state: Set(state.into()),
        emailed_at: Set(None),
        dedupe_key: Set(n.dedupe_key),
        ..Default::default()
    };
    let inserted = notification::Entity::insert(row)
        .on_conflict(
            OnConflict::column(notification::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .exec(db)
        .await;
    let id = match inserted {
        Ok(r) => r.last_insert_id,
        Err(DbErr::RecordNotInserted) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if state == email_state::QUEUED {
        queue::enqueue(
            db,
            NewJob::new(SEND_JOB, serde_json::json!({ "notice": id })).attempts(MAIL_ATTEMPTS),
        )
        .await?;
    }
    Ok(Some(id))
}

/// The account of a person, if they have one that is enabled.
pub async fn account_of(db: &impl ConnectionTrait, person_id: i32) -> Result<Option<i32>, DbErr> {
    account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .filter(account::Column::PersonId.eq(person_id))
        .filter(account::Column::Disabled.eq(false))
        .into_tuple::<i32>()
        .one(db)
        .await
}

/// Writes a notice to a person, through their account (people without an
/// account hear nothing).
pub async fn notify_person(
    db: &impl ConnectionTrait,
    person_id: i32,
    n: NewNotice,
) -> Result<Option<i32>, AppError> {
    match account_of(db, person_id).await? {
        Some(account_id) => notify(db, account_id, n).await,
        None => Ok(None),
    }
}

/// Welcome notices for accounts an import just made, in the import's
/// transaction: written in bulk, as an import may make thousands.
pub async fn welcome_many(
    db: &impl ConnectionTrait,
    account_ids: &[i32],
) -> Result<usize, AppError> {
    if account_ids.is_empty() {
        return Ok(0);
    }
    let now = Utc::now();
    let state = state_for(Kind::Welcome, None);
    let mut written = 0;
    for chunk in account_ids.chunks(500) {
        let rows = chunk.iter().map(|&account_id| notification::ActiveModel {
            account_id: Set(account_id),
            kind: Set(Kind::Welcome.code().into()),
            title: Set("Welcome to Skillmap".into()),
            body: Set(
                "Your organisation has given you a Skillmap account. Skillmap is where you record your digital, data and leadership skills, agree them with your manager, and find learning that helps."
                    .into(),
            ),
            link: Set("/skills".into()),
            created_at: Set(now),
            read_at: Set(None),
            email_state: Set(state.into()),
            emailed_at: Set(None),
            dedupe_key: Set(Some(format!("welcome:{account_id}"))),
            ..Default::default()
        });
        notification::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(notification::Column::DedupeKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        if state != email_state::QUEUED {
            written += chunk.len();
            continue;
        }
        let ids: Vec<i32> = notification::Entity::find()
            .select_only()
            .column(notification::Column::Id)
            .filter(notification::Column::Kind.eq(Kind::Welcome.code()))
            .filter(notification::Column::EmailState.eq(email_state::QUEUED))
            .filter(notification::Column::AccountId.is_in(chunk.iter().copied()))
            // Written by this call: not another import's, committed meanwhile.
            .filter(notification::Column::CreatedAt.eq(now))
            .into_tuple()
            .all(db)
            .await?;
        written += ids.len();
        let jobs = ids
            .into_iter()
            .map(|id| {
                NewJob::new(SEND_JOB, serde_json::json!({ "notice": id })).attempts(MAIL_ATTEMPTS)
            })
            .collect();
        queue::enqueue_many(db, jobs).await?;
    }
    Ok(written)
}

/// Whom a person's levels wait for: their line manager (none without).
pub async fn levels_wait_for(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<Option<i32>, AppError> {
    let manager: Option<Option<i32>> = person::Entity::find_by_id(person_id)
        .select_only()
        .column(person::Column::LineManagerId)
        .into_tuple()
        .one(db)
        .await?;
    Ok(manager.flatten())
}

/// After someone they manage saves a level that needs agreeing: the
/// manager hears once for all the saves in the batch window (`configure`)
/// after the first, counting what is waiting when it closes (one job per
/// manager while it waits: later saves find the key taken, and the job
/// counts them all when it runs, then frees the key).
pub async fn levels_waiting_soon<C: ConnectionTrait>(
    writes: &mut crate::kernel::db::Deferred<'_, C>,
    manager: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let batch = BATCH_SECONDS.load(Ordering::Relaxed) as i64;
    queue::enqueue_in(
        writes,
        NewJob::new(
            LEVELS_WAITING_JOB,
            serde_json::json!({ "manager": manager }),
        )
        .at(now + chrono::Duration::seconds(batch))
        .once(format!("levels_waiting:{manager}")),
    )
    .await?;
    Ok(())
}

/// The keys of notices written so far that start with `prefix` (to skip,
/// in bulk, what a daily job wrote before).
pub async fn keys_like(
    db: &impl ConnectionTrait,
    prefix: &str,
) -> Result<std::collections::HashSet<String>, AppError> {
    let keys: Vec<Option<String>> = notification::Entity::find()
        .select_only()
        .column(notification::Column::DedupeKey)
        .filter(notification::Column::DedupeKey.starts_with(prefix))
        .into_tuple()
        .all(db)
        .await?;
    Ok(keys.into_iter().flatten().collect())
}

/// People with an enabled account: who can hear anything.
pub async fn people_with_accounts(
    db: &impl ConnectionTrait,
) -> Result<std::collections::HashSet<i32>, AppError> {
    let ids: Vec<Option<i32>> = account::Entity::find()
        .select_only()
        .column(account::Column::PersonId)
        .filter(account::Column::Disabled.eq(false))
        .filter(account::Column::PersonId.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().flatten().collect())
}

/// How many unread notices the account of session row `s` has, as an SQL
/// expression: pages read it with the session (`session::resolve_with`).
pub const UNREAD_OF_SESSION: &str = "(SELECT COUNT(*) FROM notification n \
     WHERE n.account_id = s.account_id AND n.read_at IS NULL)";

/// How many unread notices an account has (every page's header shows it).
pub async fn unread_count(db: &impl ConnectionTrait, account_id: i32) -> Result<u64, AppError> {
    Ok(notification::Entity::find()
        .filter(notification::Column::AccountId.eq(account_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// One page of an account's notices, newest first.
pub async fn inbox(
    db: &impl ConnectionTrait,
    account_id: i32,
    page: u64,
) -> Result<Inbox, AppError> {
    let total = notification::Entity::find()
        .filter(notification::Column::AccountId.eq(account_id))
        .count(db)
        .await?;
    let unread = unread_count(db, account_id).await?;
    let pages = total.div_ceil(INBOX_PAGE).max(1);
    let page = page.clamp(1, pages);
    let notices = notification::Entity::find()
        .filter(notification::Column::AccountId.eq(account_id))
        .order_by_desc(notification::Column::Id)
        .offset((page - 1) * INBOX_PAGE)
        .limit(INBOX_PAGE)
        .all(db)
        .await?
        .into_iter()
        .filter_map(notice)
        .collect();
    Ok(Inbox {
        notices,
        unread,
        total,
        page,
        pages,
    })
}

fn notice(n: notification::Model) -> Option<Notice> {
    Some(Notice {
        id: n.id,
        kind: Kind::parse(&n.kind)?,
        title: n.title,
        body: n.body,
        link: n.link,
        at: n.created_at.format("%-d %b %Y %H:%M UTC").to_string(),
        unread: n.read_at.is_none(),
    })
}

/// Marks one of the account's notices read and returns where it links to.
/// Someone else's notice is not found.
pub async fn open(db: &impl ConnectionTrait, account_id: i32, id: i32) -> Result<String, AppError> {
    let n = notification::Entity::find_by_id(id)
        .filter(notification::Column::AccountId.eq(account_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That notification".into()))?;
    if n.read_at.is_none() {
        set_read(db, account_id, Some(id), true).await?;
    }
    Ok(n.link)
}

/// Marks one notice (or, with `None`, all of them) read or unread again.
pub async fn set_read(
    db: &impl ConnectionTrait,
    account_id: i32,
    id: Option<i32>,
    read: bool,
) -> Result<u64, AppError> {
    let mut q = notification::Entity::update_many()
        .col_expr(
            notification::Column::ReadAt,
            Expr::value(read.then(Utc::now)),
        )
        .filter(notification::Column::AccountId.eq(account_id));
    if let Some(id) = id {
        q = q.filter(notification::Column::Id.eq(id));
    } else if read {
        q = q.filter(notification::Column::ReadAt.is_null());
    }
    let r = q.exec(db).await?;
    if id.is_some() && r.rows_affected == 0 {
        return Err(AppError::NotFound("That notification".into()));
    }
    Ok(r.rows_affected)
}

/// A person's choices, with every kind that applies to their role.
pub async fn preferences(
    db: &impl ConnectionTrait,
    account_id: i32,
    role: Role,
) -> Result<Preferences, AppError> {
    let pref = notification_pref::Entity::find_by_id(account_id)
        .one(db)
        .await?;
    let muted = pref
        .as_ref()
        .map(|p| parse_muted(&p.muted))
        .unwrap_or_default();
    let email: String = account::Entity::find_by_id(account_id)
        .select_only()
        .column(account::Column::Email)
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or_default();
    Ok(Preferences {
        daily_digest: pref.as_ref().is_some_and(|p| p.daily_digest),
        choices: Kind::ALL
            .into_iter()
            .filter(|k| k.applies_to(role))
            .map(|kind| Choice {
                kind,
                email: kind.required() || !muted.contains(&kind),
                required: kind.required(),
                label: kind.label().into(),
            })
            .collect(),
        email_configured: email_configured(),
        email,
    })
}

/// Saves a person's choices: `email_for` lists the kinds they want email
/// for; kinds they cannot turn off stay on whatever it says.
pub async fn save_preferences(
    db: &impl ConnectionTrait,
    account_id: i32,
    role: Role,
    daily_digest: bool,
    email_for: &[Kind],
) -> Result<Preferences, AppError> {
    let muted: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| k.applies_to(role) && !email_for.contains(k))
        .collect();
    let row = notification_pref::ActiveModel {
        account_id: Set(account_id),
        daily_digest: Set(daily_digest),
        muted: Set(muted_codes(&muted)),
        updated_at: Set(Utc::now()),
    };
    notification_pref::Entity::insert(row)
        .on_conflict(
            OnConflict::column(notification_pref::Column::AccountId)
                .update_columns([
                    notification_pref::Column::DailyDigest,
                    notification_pref::Column::Muted,
                    notification_pref::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    preferences(db, account_id, role).await
}

/// Accounts with notices waiting for their digest.
pub async fn digest_accounts(db: &impl ConnectionTrait) -> Result<Vec<i32>, AppError> {
    Ok(notification::Entity::find()
        .select_only()
        .column(notification::Column::AccountId)
        .filter(notification::Column::EmailState.eq(email_state::DIGEST))
        .distinct()
        .into_tuple()
        .all(db)
        .await?)
}

/// For the admin page: email waiting to go, by state. Every
/// organisation's: the outbox, like the job queue, is the deployment's.
pub async fn outbox_waiting(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    Ok(notification::Entity::find()
        .filter(notification::Column::EmailState.is_in([email_state::QUEUED, email_state::DIGEST]))
        .count(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::testing::test_db;
    use sea_orm::ActiveModelTrait;

    async fn account(db: &impl ConnectionTrait, email: &str) -> i32 {
        account::ActiveModel {
            organisation_id: Set(Some(crate::kernel::testing::ORG)),
            email: Set(email.into()),
            password_hash: Set(String::new()),
            role: Set("staff".into()),
            disabled: Set(false),
            person_id: Set(None),
            created_at: Set(Utc::now()),
            last_login_at: Set(None),
            break_glass: Set(false),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap()
        .id
    }

    #[tokio::test]
    async fn a_notice_lands_in_the_inbox_and_queues_its_email_by_choice() {
        let t = test_db().await;
        let db = t.db.clone();
        configure(true, std::time::Duration::from_secs(900));
        let me = account(&db, "me@example.nhs.uk").await;
        let other = account(&db, "other@example.nhs.uk").await;
        let n = NewNotice::new(Kind::Recognised, "Thanks", "For the help", "/recognition");
        let id = notify(&db, me, n.clone()).await.unwrap().unwrap();
        assert_eq!(unread_count(&db, me).await.unwrap(), 1);
        assert_eq!(unread_count(&db, other).await.unwrap(), 0);
        let jobs = queue::statuses(&db).await.unwrap();
        assert_eq!(jobs.len(), 1, "one email queued with the notice");
        // Someone else cannot open it.
        assert!(matches!(
            open(&db, other, id).await,
            Err(AppError::NotFound(_))
        ));
        // A page reads the count with the session, in one statement.
        let settings = crate::kernel::Settings::default();
        let token = crate::kernel::session::create(&db, me, &settings, Utc::now())
            .await
            .unwrap();
        let with_session = |token: String| {
            let (db, settings) = (db.clone(), settings.clone());
            async move {
                crate::kernel::session::resolve_with(
                    &db,
                    &token,
                    &settings,
                    Utc::now(),
                    Some(UNREAD_OF_SESSION),
                )
                .await
                .unwrap()
                .unwrap()
                .1
            }
        };
        assert_eq!(with_session(token.clone()).await, Some(1));
        assert_eq!(open(&db, me, id).await.unwrap(), "/recognition");
        assert_eq!(unread_count(&db, me).await.unwrap(), 0);
        assert_eq!(with_session(token).await, Some(0));
        // Turned off: in the inbox, but no email.
        save_preferences(&db, me, Role::Staff, false, &[])
            .await
            .unwrap();
        notify(&db, me, n.clone()).await.unwrap().unwrap();
        assert_eq!(queue::statuses(&db).await.unwrap().len(), 1);
        // A digest: no email now; the person is on the digest list.
        save_preferences(&db, me, Role::Staff, true, &[Kind::Recognised])
            .await
            .unwrap();
        notify(&db, me, n).await.unwrap().unwrap();
        assert_eq!(queue::statuses(&db).await.unwrap().len(), 1);
        assert_eq!(digest_accounts(&db).await.unwrap(), vec![me]);
        let inbox = inbox(&db, me, 1).await.unwrap();
        assert_eq!((inbox.total, inbox.unread), (3, 2));
        assert_eq!(set_read(&db, me, None, true).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_key_writes_one_notice_and_links_stay_on_this_site() {
        let t = test_db().await;
        let db = t.db.clone();
        let me = account(&db, "me@example.nhs.uk").await;
        let n = NewNotice::new(Kind::ReviewDue, "Due", "Soon", "https://evil.example/")
            .once("review_due:1:2027-01-01");
        assert_eq!(n.link, "/notifications");
        // A name with a line break cannot add a header to the email.
        let sly = NewNotice::new(
            Kind::Recognised,
            "Sam\r\nBcc: x@evil.example",
            "a\r\nb",
            "/",
        );
        assert_eq!(sly.title, "Sam  Bcc: x@evil.example");
        assert_eq!(sly.body, "a\nb");
        assert!(notify(&db, me, n.clone()).await.unwrap().is_some());
        assert!(notify(&db, me, n).await.unwrap().is_none());
        assert_eq!(inbox(&db, me, 1).await.unwrap().total, 1);
    }
}
