//! Others by id, named when read (issue 20). A badge's evidence and a
//! mentoring step's reason held a copy of another person's name ("Jo Bloggs
//! agreed the level ..."), which erasing that person left behind and every
//! credential downloaded later repeated. Now:
//!
//! - `badge.awarded_by_id` is who agreed the level, by staff id (set to
//!   null when they are erased), in place of the name in `awarded_by`; and
//!   for an agreed level `badge.evidence` holds only the holder's own
//!   evidence. The sentence naming who agreed it is built when read. Existing
//!   badges are converted: the id is the assessment's reviewer when the name
//!   is theirs (or the one person of that name), and the sentence is cut
//!   from the evidence.
//! - A completed pathway's badge lists a mentoring step without the
//!   mentor's name ("Mentoring").
//! - A mentoring step's reason is built when read from `mentor_id`; the
//!   stored copies are emptied.
//! - The audit trail stays append-only but for one change: forgetting an
//!   address (`ip` set to null, nothing else changed), which erasing a
//!   person does for their account's events.
//!
//! `down` puts the names back where it can; the evidence sentences and
//! reasons stay as `up` left them (older code shows the holder's evidence
//! alone), and on SQLite `awarded_by_id` stays (SQLite cannot drop a column
//! with a foreign key).

use sea_orm_migration::sea_orm::{DatabaseBackend, Statement};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Badge {
    Table,
    Id,
    Evidence,
    AwardedBy,
    AwardedById,
}

const SOURCE_AGREED: &str = "agreed-level";
const SOURCE_PATHWAY: &str = "pathway";

/// How an agreed level's badge evidence went on to quote the holder.
const HOLDER_EVIDENCE: &str = ". The holder's evidence: ";

/// What the holder wrote, from "<name> agreed the level <level> on <date>.
/// The holder's evidence: <text>"; nothing when they wrote nothing (or the
/// text is not one Skillmap wrote).
fn holder_evidence(evidence: &str) -> &str {
    evidence
        .split_once(HOLDER_EVIDENCE)
        .map_or("", |(_, e)| e.trim())
}

/// A completed pathway's badge listed its steps by title, a mentoring step
/// as "Mentoring with <name>": the name goes.
fn without_mentor_names(evidence: &str) -> String {
    let Some((head, list)) = evidence.split_once(": ") else {
        return evidence.to_string();
    };
    let (list, end) = match list.strip_suffix('.') {
        Some(list) => (list, "."),
        None => (list, ""),
    };
    let steps: Vec<&str> = list
        .split("; ")
        .map(|s| {
            if s.starts_with("Mentoring with ") {
                "Mentoring"
            } else {
                s
            }
        })
        .collect();
    format!("{head}: {}{end}", steps.join("; "))
}

/// Who agreed each named badge: the assessment's reviewer when the badge
/// names them, else the one person of that name. A name that fits nobody
/// (they were erased, or renamed) is dropped, and reads as a former
/// colleague. Badges that named nobody ("Their line manager") get the
/// reviewer of the assessment at that level.
const AWARDED_BY_ID: [&str; 2] = [
    "UPDATE badge SET awarded_by_id = COALESCE(\
       (SELECT a.reviewed_by FROM assessment a JOIN person r ON r.id = a.reviewed_by \
        WHERE a.person_id = badge.person_id AND a.skill_code = badge.skill_code \
        AND (r.given_name || ' ' || r.family_name) = badge.awarded_by), \
       CASE WHEN (SELECT COUNT(*) FROM person p \
                  WHERE (p.given_name || ' ' || p.family_name) = badge.awarded_by) = 1 \
            THEN (SELECT MIN(p.id) FROM person p \
                  WHERE (p.given_name || ' ' || p.family_name) = badge.awarded_by) END) \
     WHERE source = 'agreed-level' AND awarded_by IS NOT NULL",
    "UPDATE badge SET awarded_by_id = \
       (SELECT a.reviewed_by FROM assessment a \
        WHERE a.person_id = badge.person_id AND a.skill_code = badge.skill_code \
        AND a.agreed_level = badge.level) \
     WHERE source = 'agreed-level' AND awarded_by IS NULL",
];

/// The one update the trail accepts: `ip` to null, every other column as it was.
const SQLITE_GUARDS: [&str; 2] = [
    "DROP TRIGGER audit_event_no_update",
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event \
     WHEN NOT (NEW.ip IS NULL AND NEW.id IS OLD.id AND NEW.at IS OLD.at \
       AND NEW.actor_id IS OLD.actor_id AND NEW.action IS OLD.action \
       AND NEW.target_kind IS OLD.target_kind AND NEW.target_id IS OLD.target_id \
       AND NEW.detail IS OLD.detail) \
     BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
];

const SQLITE_GUARDS_DOWN: [&str; 2] = [
    "DROP TRIGGER audit_event_no_update",
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event \
     BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
];

/// Deletes and truncation stay refused for the whole statement (the
/// function `m20261126_000010_audit` made); updates are checked row by row.
const POSTGRES_GUARDS: [&str; 4] = [
    "DROP TRIGGER audit_event_append_only ON audit_event",
    "CREATE TRIGGER audit_event_append_only BEFORE DELETE OR TRUNCATE \
     ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
    "CREATE FUNCTION audit_event_forget_ip_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF NEW.\"ip\" IS NULL AND \
          (NEW.\"id\", NEW.\"at\", NEW.\"actor_id\", NEW.\"action\", NEW.\"target_kind\", \
           NEW.\"target_id\", NEW.\"detail\") IS NOT DISTINCT FROM \
          (OLD.\"id\", OLD.\"at\", OLD.\"actor_id\", OLD.\"action\", OLD.\"target_kind\", \
           OLD.\"target_id\", OLD.\"detail\") THEN \
         RETURN NEW; \
       END IF; \
       RAISE EXCEPTION 'audit_event is append-only'; \
     END $$",
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event \
     FOR EACH ROW EXECUTE FUNCTION audit_event_forget_ip_only()",
];

const POSTGRES_GUARDS_DOWN: [&str; 4] = [
    "DROP TRIGGER audit_event_no_update ON audit_event",
    "DROP TRIGGER audit_event_append_only ON audit_event",
    "DROP FUNCTION audit_event_forget_ip_only()",
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE \
     ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();

        // The same words on both engines; SQLite accepts a reference in
        // ADD COLUMN when the column defaults to null.
        db.execute_unprepared(
            "ALTER TABLE badge ADD COLUMN awarded_by_id integer NULL \
             REFERENCES person (id) ON DELETE SET NULL",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_badge_awarded_by")
                    .table(Badge::Table)
                    .col(Badge::AwardedById)
                    .to_owned(),
            )
            .await?;
        for sql in AWARDED_BY_ID {
            db.execute_unprepared(sql).await?;
        }

        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT id, source, evidence FROM badge \
                     WHERE source IN ('{SOURCE_AGREED}', '{SOURCE_PATHWAY}')"
                ),
            ))
            .await?;
        for row in rows {
            let id: i32 = row.try_get("", "id")?;
            let source: String = row.try_get("", "source")?;
            let evidence: String = row.try_get("", "evidence")?;
            let kept = if source == SOURCE_AGREED {
                holder_evidence(&evidence).to_string()
            } else {
                without_mentor_names(&evidence)
            };
            if kept != evidence {
                db.execute(
                    &Query::update()
                        .table(Badge::Table)
                        .value(Badge::Evidence, kept)
                        .and_where(Expr::col(Badge::Id).eq(id))
                        .to_owned(),
                )
                .await?;
            }
        }
        db.execute_unprepared("ALTER TABLE badge DROP COLUMN awarded_by")
            .await?;

        // A mentoring step (no catalogue resource) reads its reason from
        // its mentor when shown.
        db.execute_unprepared(
            "UPDATE pathway_step SET reason = '' WHERE resource_id IS NULL OR mentor_id IS NOT NULL",
        )
        .await?;

        let guards: &[&str] = match backend {
            DatabaseBackend::Postgres => &POSTGRES_GUARDS,
            _ => &SQLITE_GUARDS,
        };
        for sql in guards {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        let guards: &[&str] = match backend {
            DatabaseBackend::Postgres => &POSTGRES_GUARDS_DOWN,
            _ => &SQLITE_GUARDS_DOWN,
        };
        for sql in guards {
            db.execute_unprepared(sql).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Badge::Table)
                    .add_column(string_null(Badge::AwardedBy))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "UPDATE badge SET awarded_by = (SELECT p.given_name || ' ' || p.family_name \
             FROM person p WHERE p.id = badge.awarded_by_id) WHERE awarded_by_id IS NOT NULL",
        )
        .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_badge_awarded_by")
                    .table(Badge::Table)
                    .to_owned(),
            )
            .await?;
        if backend == DatabaseBackend::Postgres {
            db.execute_unprepared("ALTER TABLE badge DROP COLUMN awarded_by_id")
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holders_evidence_is_kept_and_the_agreeing_sentence_goes() {
        assert_eq!(
            holder_evidence(
                "Jo Bloggs agreed the level Practitioner on 3 December 2026. The holder's evidence: Built the ward dashboard. It works."
            ),
            "Built the ward dashboard. It works."
        );
        assert_eq!(
            holder_evidence("Jo Bloggs agreed the level Practitioner on 3 December 2026."),
            ""
        );
        assert_eq!(
            holder_evidence("Their line manager agreed the level Expert on 1 May 2026."),
            ""
        );
    }

    #[test]
    fn a_pathway_badge_loses_its_mentors_names_and_keeps_its_courses() {
        assert_eq!(
            without_mentor_names(
                "Completed all 3 steps of their learning pathway on 3 December 2026: \
                 Intro to SQL; Mentoring with Jo Bloggs; Mentoring with Al Smith."
            ),
            "Completed all 3 steps of their learning pathway on 3 December 2026: \
             Intro to SQL; Mentoring; Mentoring."
        );
        let plain =
            "Completed all 1 steps of their learning pathway on 3 December 2026: Data: a primer.";
        assert_eq!(without_mentor_names(plain), plain);
    }
}
