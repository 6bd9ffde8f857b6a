//! The audit trail: who did what to which record, when and from where.
//!
//! Append-only: the application has no update or delete path, and the
//! database refuses both (a trigger on each engine), so not even a bug or a
//! hand-written query through the app's connection can rewrite history. It
//! holds ids, never names or typed text, so erasing a person leaves no
//! personal data behind in it (the ids then point at nothing).

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Id,
    At,
    ActorId,
    Action,
    TargetKind,
    TargetId,
    Detail,
    Ip,
}

const SQLITE_GUARDS: [&str; 2] = [
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event \
     BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event \
     BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
];

const POSTGRES_GUARDS: [&str; 2] = [
    "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS \
     $$ BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$",
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE \
     ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvent::Table)
                    .col(pk_auto(AuditEvent::Id))
                    .col(timestamp_with_time_zone(AuditEvent::At))
                    // No foreign key: the trail outlives the accounts it names.
                    .col(integer_null(AuditEvent::ActorId))
                    .col(string(AuditEvent::Action))
                    .col(string_null(AuditEvent::TargetKind))
                    .col(integer_null(AuditEvent::TargetId))
                    .col(string(AuditEvent::Detail))
                    .col(string_null(AuditEvent::Ip))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_audit_event_at", vec![AuditEvent::At]),
            ("idx_audit_event_actor", vec![AuditEvent::ActorId]),
            ("idx_audit_event_action", vec![AuditEvent::Action]),
            (
                "idx_audit_event_target",
                vec![AuditEvent::TargetKind, AuditEvent::TargetId],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditEvent::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        let guards = match manager.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_GUARDS,
            _ => SQLITE_GUARDS,
        };
        let db = manager.get_connection();
        for sql in guards {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvent::Table).to_owned())
            .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS audit_event_append_only()")
                .await?;
        }
        Ok(())
    }
}
