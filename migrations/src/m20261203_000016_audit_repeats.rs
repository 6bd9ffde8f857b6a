//! Sign-in throttling that an outsider cannot turn against the server.
//!
//! `audit_repeat`: failed sign-ins and refusals are what a caller can make
//! happen at will, and each used to add a row to the audit trail. Repeats
//! of one (same action, who, source, record and detail) within a minute now
//! count on the minute's first row instead: this table holds that count,
//! keyed by a digest of what makes them repeats. `audit_event` itself is
//! untouched and stays strictly append-only; here the database lets a count
//! only go up, and refuses deletes, so the trail's numbers cannot be
//! rewritten either. The one other change allowed is erasure's: a key may
//! become `forgotten:<event id>`, so no digest of an erased person's address
//! is left behind. No foreign key, like the rest of the trail.
//!
//! `sign_in_backoff`: consecutive failed sign-ins per email address (a
//! SHA-256 digest of it, never the address), from any source, so that
//! guessing at one account from many addresses slows down on every
//! instance alike. Rows are working state, not a record: a success deletes
//! its row, and rows idle for an hour or more are pruned.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditRepeat {
    Table,
    RepeatKey,
    EventId,
    Count,
}

#[derive(DeriveIden)]
enum SignInBackoff {
    Table,
    EmailKey,
    Failures,
    LastFailureAt,
}

const SQLITE_GUARDS: [&str; 2] = [
    "CREATE TRIGGER audit_repeat_only_counts_up BEFORE UPDATE ON audit_repeat \
     WHEN (NEW.repeat_key IS NOT OLD.repeat_key \
           AND NEW.repeat_key IS NOT 'forgotten:' || OLD.event_id) \
     OR NEW.event_id IS NOT OLD.event_id OR NEW.count < OLD.count \
     BEGIN SELECT RAISE(ABORT, 'audit_repeat only counts up'); END",
    "CREATE TRIGGER audit_repeat_no_delete BEFORE DELETE ON audit_repeat \
     BEGIN SELECT RAISE(ABORT, 'audit_repeat only counts up'); END",
];

const POSTGRES_GUARDS: [&str; 3] = [
    "CREATE FUNCTION audit_repeat_only_counts_up() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF TG_OP = 'UPDATE' THEN \
         IF (NEW.repeat_key = OLD.repeat_key \
             OR NEW.repeat_key = 'forgotten:' || OLD.event_id) \
            AND NEW.event_id = OLD.event_id \
            AND NEW.count >= OLD.count THEN \
           RETURN NEW; \
         END IF; \
       END IF; \
       RAISE EXCEPTION 'audit_repeat only counts up'; \
     END $$",
    "CREATE TRIGGER audit_repeat_only_counts_up BEFORE UPDATE OR DELETE ON audit_repeat \
     FOR EACH ROW EXECUTE FUNCTION audit_repeat_only_counts_up()",
    "CREATE TRIGGER audit_repeat_no_truncate BEFORE TRUNCATE ON audit_repeat \
     FOR EACH STATEMENT EXECUTE FUNCTION audit_repeat_only_counts_up()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditRepeat::Table)
                    .col(string(AuditRepeat::RepeatKey).primary_key())
                    .col(integer_uniq(AuditRepeat::EventId))
                    // How many times it happened, the first included.
                    .col(integer(AuditRepeat::Count))
                    .to_owned(),
            )
            .await?;
        let guards: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &POSTGRES_GUARDS,
            _ => &SQLITE_GUARDS,
        };
        let db = manager.get_connection();
        for sql in guards {
            db.execute_unprepared(sql).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(SignInBackoff::Table)
                    .col(string(SignInBackoff::EmailKey).primary_key())
                    .col(integer(SignInBackoff::Failures))
                    .col(timestamp_with_time_zone(SignInBackoff::LastFailureAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sign_in_backoff_last_failure_at")
                    .table(SignInBackoff::Table)
                    .col(SignInBackoff::LastFailureAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignInBackoff::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AuditRepeat::Table).to_owned())
            .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS audit_repeat_only_counts_up()")
                .await?;
        }
        Ok(())
    }
}
