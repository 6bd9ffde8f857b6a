//! One row per person holding all their assessments packed into one text
//! (see `team::summary::write_cells`), kept in step by every save in its
//! own transaction. The team heatmap reads a row per person from it instead
//! of gathering 27 assessments a person: for a team of 500 the query went
//! from 13,500 index entries concatenated on every page view to 500 rows.
//! The server fills it on its first start after this migration (a summary,
//! like the others, built by `team::summary::ensure`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TeamCells {
    Table,
    PersonId,
    Cells,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TeamCells::Table)
                    .col(integer(TeamCells::PersonId).primary_key())
                    .col(text(TeamCells::Cells))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TeamCells::Table, TeamCells::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TeamCells::Table).to_owned())
            .await
    }
}
