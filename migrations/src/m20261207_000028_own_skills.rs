//! An organisation's own skills: a framework (domains, skills, descriptors,
//! versions, as the shared one) that belongs to one organisation and adds
//! to the shared framework for its people only.
//!
//! `framework.organisation_id` is NULL for the shared framework (every
//! framework before this migration), the organisation's id for its own
//! skills. `framework_draft.organisation_id` says which of the two an
//! uploaded file would become the next version of: an administrator's
//! draft of their organisation's own skills is theirs alone.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 2] = ["framework", "framework_draft"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in TABLES {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ADD COLUMN organisation_id INTEGER NULL \
                 REFERENCES organisation (id)"
            ))
            .await?;
            db.execute_unprepared(&format!(
                "CREATE INDEX idx_{table}_organisation ON {table} (organisation_id)"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in TABLES {
            db.execute_unprepared(&format!("DROP INDEX idx_{table}_organisation"))
                .await?;
            // An organisation's own skills go with the column: only the
            // shared framework existed before it.
            if table == "framework" {
                for sql in [
                    "DELETE FROM skill_descriptor WHERE skill_id IN (SELECT s.id FROM skill s \
                     JOIN framework f ON f.id = s.framework_id WHERE f.organisation_id IS NOT NULL)",
                    "DELETE FROM skill WHERE framework_id IN \
                     (SELECT id FROM framework WHERE organisation_id IS NOT NULL)",
                    "DELETE FROM domain WHERE framework_id IN \
                     (SELECT id FROM framework WHERE organisation_id IS NOT NULL)",
                    "DELETE FROM framework WHERE organisation_id IS NOT NULL",
                ] {
                    db.execute_unprepared(sql).await?;
                }
            } else {
                db.execute_unprepared(
                    "DELETE FROM framework_draft WHERE organisation_id IS NOT NULL",
                )
                .await?;
            }
            db.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN organisation_id"))
                .await?;
        }
        Ok(())
    }
}
