//! Organisations as tenants: several NHS organisations (trusts, primary
//! care networks) of one integrated care system in one deployment.
//!
//! `organisation` holds them. Every row that belongs to one organisation
//! records it: units, people (denormalised from their unit, so that an
//! organisation's people are one indexed filter), job roles, award kinds,
//! import jobs, and accounts and audit events (where none means the
//! deployment itself: a system-level account, a system event). Rows below
//! these (assessments, badges, pathways, ...) belong through them.
//!
//! An existing database holds one organisation: the migration names it
//! after its first root unit and gives every row to it. An empty one gets
//! an organisation named "Organisation", which the demo seed and the
//! command line rename.
//!
//! On SQLite, a column added with a foreign key must allow NULL; triggers
//! refuse a NULL where the column is required, as PostgreSQL's NOT NULL
//! does.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
    Code,
    Name,
    CreatedAt,
}

/// Tables every row of which belongs to one organisation.
const REQUIRED: [&str; 5] = ["org_unit", "person", "job_role", "award_kind", "import_job"];
/// Tables where no organisation means the deployment itself.
const OPTIONAL: [&str; 2] = ["account", "audit_event"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisation::Table)
                    .col(pk_auto(Organisation::Id))
                    .col(string_uniq(Organisation::Code))
                    .col(string(Organisation::Name))
                    .col(timestamp_with_time_zone(Organisation::CreatedAt))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
        let now = if postgres {
            "CURRENT_TIMESTAMP"
        } else {
            "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
        };
        // The one organisation of the data already here, named after the
        // first root unit (as the badge issuer was).
        db.execute_unprepared(&format!(
            "INSERT INTO organisation (code, name, created_at) \
             SELECT COALESCE((SELECT code FROM org_unit WHERE parent_id IS NULL ORDER BY code LIMIT 1), 'ORG'), \
                    COALESCE((SELECT name FROM org_unit WHERE parent_id IS NULL ORDER BY code LIMIT 1), 'Organisation'), \
                    {now}"
        ))
        .await?;
        for table in REQUIRED.iter().chain(OPTIONAL.iter()) {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ADD COLUMN organisation_id INTEGER NULL \
                 REFERENCES organisation (id)"
            ))
            .await?;
        }
        for table in REQUIRED {
            db.execute_unprepared(&format!(
                "UPDATE {table} SET organisation_id = (SELECT MIN(id) FROM organisation)"
            ))
            .await?;
        }
        // Accounts of people belong to their organisation; accounts without
        // a person (administrators made on the command line) too, while
        // there is one organisation. Past audit events are that
        // organisation's.
        // The audit trail accepts no update but forgetting an address:
        // lifted for the backfill, then put back with the new column among
        // those that may not change.
        let (lift, guard) = if postgres {
            (&POSTGRES_LIFT[..], &POSTGRES_GUARD[..])
        } else {
            (&SQLITE_LIFT[..], &SQLITE_GUARD[..])
        };
        for sql in lift {
            db.execute_unprepared(sql).await?;
        }
        for table in OPTIONAL {
            db.execute_unprepared(&format!(
                "UPDATE {table} SET organisation_id = (SELECT MIN(id) FROM organisation)"
            ))
            .await?;
        }
        for sql in guard {
            db.execute_unprepared(sql).await?;
        }
        for table in REQUIRED {
            if postgres {
                db.execute_unprepared(&format!(
                    "ALTER TABLE {table} ALTER COLUMN organisation_id SET NOT NULL"
                ))
                .await?;
            } else {
                for (when, event) in [
                    ("insert", "INSERT"),
                    ("update", "UPDATE OF organisation_id"),
                ] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {table}_organisation_required_{when} \
                         BEFORE {event} ON {table} WHEN NEW.organisation_id IS NULL \
                         BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: \
                         {table}.organisation_id'); END"
                    ))
                    .await?;
                }
            }
        }
        for table in REQUIRED.iter().chain(OPTIONAL.iter()) {
            db.execute_unprepared(&format!(
                "CREATE INDEX idx_{table}_organisation ON {table} (organisation_id)"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
        // The trail's guard as it was, before its column goes.
        let guard_down: &[&str] = if postgres {
            &POSTGRES_GUARD_DOWN
        } else {
            &SQLITE_GUARD_DOWN
        };
        for sql in guard_down {
            db.execute_unprepared(sql).await?;
        }
        for table in REQUIRED.iter().chain(OPTIONAL.iter()) {
            db.execute_unprepared(&format!("DROP INDEX idx_{table}_organisation"))
                .await?;
            if !postgres && REQUIRED.contains(table) {
                for when in ["insert", "update"] {
                    db.execute_unprepared(&format!(
                        "DROP TRIGGER {table}_organisation_required_{when}"
                    ))
                    .await?;
                }
            }
            db.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN organisation_id"))
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Organisation::Table).to_owned())
            .await
    }
}

const SQLITE_LIFT: [&str; 1] = ["DROP TRIGGER audit_event_no_update"];

/// The one update the trail accepts: `ip` to null, every other column
/// (now with the organisation) as it was.
const SQLITE_GUARD: [&str; 1] = [
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event \
     WHEN NOT (NEW.ip IS NULL AND NEW.id IS OLD.id AND NEW.at IS OLD.at \
       AND NEW.actor_id IS OLD.actor_id AND NEW.action IS OLD.action \
       AND NEW.target_kind IS OLD.target_kind AND NEW.target_id IS OLD.target_id \
       AND NEW.detail IS OLD.detail AND NEW.organisation_id IS OLD.organisation_id) \
     BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
];

const POSTGRES_LIFT: [&str; 1] = ["DROP TRIGGER audit_event_no_update ON audit_event"];

const POSTGRES_GUARD: [&str; 2] = [
    "CREATE OR REPLACE FUNCTION audit_event_forget_ip_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF NEW.\"ip\" IS NULL AND \
          (NEW.\"id\", NEW.\"at\", NEW.\"actor_id\", NEW.\"action\", NEW.\"target_kind\", \
           NEW.\"target_id\", NEW.\"detail\", NEW.\"organisation_id\") IS NOT DISTINCT FROM \
          (OLD.\"id\", OLD.\"at\", OLD.\"actor_id\", OLD.\"action\", OLD.\"target_kind\", \
           OLD.\"target_id\", OLD.\"detail\", OLD.\"organisation_id\") THEN \
         RETURN NEW; \
       END IF; \
       RAISE EXCEPTION 'audit_event is append-only'; \
     END $$",
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event \
     FOR EACH ROW EXECUTE FUNCTION audit_event_forget_ip_only()",
];

const SQLITE_GUARD_DOWN: [&str; 2] = [
    "DROP TRIGGER audit_event_no_update",
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event \
     WHEN NOT (NEW.ip IS NULL AND NEW.id IS OLD.id AND NEW.at IS OLD.at \
       AND NEW.actor_id IS OLD.actor_id AND NEW.action IS OLD.action \
       AND NEW.target_kind IS OLD.target_kind AND NEW.target_id IS OLD.target_id \
       AND NEW.detail IS OLD.detail) \
     BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
];

const POSTGRES_GUARD_DOWN: [&str; 1] = [
    "CREATE OR REPLACE FUNCTION audit_event_forget_ip_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
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
];
