//! The skills review cycle is each organisation's: before, one set of
//! `app_setting` rows (`review_months`, `review_remind_before_days`,
//! `review_remind_after_days`) held the rule for the whole deployment, and
//! any organisation's administrator changed every other trust's due dates
//! and reminders. The rule moves to three columns of `organisation`; a
//! deployment that had saved one keeps it for every organisation.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisation {
    Table,
    ReviewMonths,
    ReviewRemindBeforeDays,
    ReviewRemindAfterDays,
}

/// Each column, the deployment's setting it takes over, and the default a
/// deployment that never saved one had (a yearly review, reminders two
/// weeks before and one after).
const RULE: [(Organisation, &str, i32); 3] = [
    (Organisation::ReviewMonths, "review_months", 12),
    (
        Organisation::ReviewRemindBeforeDays,
        "review_remind_before_days",
        14,
    ),
    (
        Organisation::ReviewRemindAfterDays,
        "review_remind_after_days",
        7,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (column, _, default) in RULE {
            manager
                .alter_table(
                    Table::alter()
                        .table(Organisation::Table)
                        .add_column(ColumnDef::new(column).integer().not_null().default(default))
                        .to_owned(),
                )
                .await?;
        }
        // The deployment's saved values, where they read as numbers (they
        // were checked when saved; one that is not keeps the default, as
        // the rule read it).
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        for (column, name, _) in RULE {
            let Some(row) = db
                .query_one_raw(Statement::from_string(
                    backend,
                    format!("SELECT value FROM app_setting WHERE name = '{name}'"),
                ))
                .await?
            else {
                continue;
            };
            let value: String = row.try_get("", "value")?;
            let Ok(value) = value.trim().parse::<u32>() else {
                continue;
            };
            db.execute(
                &Query::update()
                    .table(Organisation::Table)
                    .value(column, i64::from(value))
                    .to_owned(),
            )
            .await?;
        }
        db.execute_unprepared(
            "DELETE FROM app_setting WHERE name IN \
             ('review_months', 'review_remind_before_days', 'review_remind_after_days')",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Back to one rule for the deployment: the first organisation's
        // (the one a single-organisation deployment has).
        let db = manager.get_connection();
        for (_, name, _) in RULE {
            // (Each column is named as the setting it took over.)
            db.execute_unprepared(&format!(
                "INSERT INTO app_setting (name, value, updated_at) \
                 SELECT '{name}', CAST({name} AS VARCHAR(16)), CURRENT_TIMESTAMP \
                 FROM organisation WHERE id = (SELECT MIN(id) FROM organisation)"
            ))
            .await?;
        }
        for (column, _, _) in RULE {
            manager
                .alter_table(
                    Table::alter()
                        .table(Organisation::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
