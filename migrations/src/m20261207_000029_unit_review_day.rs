//! `unit_review_day`: how many people of each unit (its own members) start
//! their review cycle on each day (their last review, or else their first
//! assessment; '' for people with neither). The organisation and system
//! views count profiles up to date, due soon and overdue from these rows
//! (about 40 per unit) instead of grouping every person. Kept by the
//! writes that move a cycle's start, and recounted with the head counts.
//! An older database gets it filled at start-up (`team::summary::ensure`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UnitReviewDay {
    Table,
    OrgUnitId,
    Day,
    N,
}

#[derive(DeriveIden)]
enum OrgUnit {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UnitReviewDay::Table)
                    .col(integer(UnitReviewDay::OrgUnitId))
                    .col(string(UnitReviewDay::Day))
                    .col(integer(UnitReviewDay::N))
                    .primary_key(
                        Index::create()
                            .col(UnitReviewDay::OrgUnitId)
                            .col(UnitReviewDay::Day),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UnitReviewDay::Table, UnitReviewDay::OrgUnitId)
                            .to(OrgUnit::Table, OrgUnit::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UnitReviewDay::Table).to_owned())
            .await
    }
}
