//! When an import's uploaded file and the cell values in its problem report
//! were removed: a committed or abandoned import keeps them only for
//! `SKILLMAP_IMPORT_RETENTION_DAYS`. Imports from before this change have no
//! date, so the first purge after it removes theirs.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ImportJob {
    Table,
    PurgedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ImportJob::Table)
                    .add_column(timestamp_with_time_zone_null(ImportJob::PurgedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ImportJob::Table)
                    .drop_column(ImportJob::PurgedAt)
                    .to_owned(),
            )
            .await
    }
}
