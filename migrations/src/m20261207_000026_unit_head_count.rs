//! `unit_head_count`: per org unit (its own members, not its subtree),
//! staff group and band, how many people work there and how many of them
//! are integrative leaders, one domain short (and of those, interested in
//! the domain they are short in), below Working or at Working on the
//! foundation skills. The organisation view and the workforce lead's
//! system view read these few rows per unit instead of grouping every
//! person (`person`, `person_capability`) on each view: at 100,000 staff
//! that grouping alone was most of the system view's time. Kept up to date
//! with `person_capability` (see `team::summary`); built at start-up for a
//! database that has people but no head counts.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UnitHeadCount {
    Table,
    OrgUnitId,
    StaffGroup,
    Band,
    People,
    Leaders,
    Near,
    Interested,
    Below,
    Working,
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
                    .table(UnitHeadCount::Table)
                    .col(integer(UnitHeadCount::OrgUnitId))
                    .col(string(UnitHeadCount::StaffGroup))
                    .col(string(UnitHeadCount::Band))
                    .col(integer(UnitHeadCount::People))
                    .col(integer(UnitHeadCount::Leaders))
                    .col(integer(UnitHeadCount::Near))
                    .col(integer(UnitHeadCount::Interested))
                    .col(integer(UnitHeadCount::Below))
                    .col(integer(UnitHeadCount::Working))
                    .primary_key(
                        Index::create()
                            .col(UnitHeadCount::OrgUnitId)
                            .col(UnitHeadCount::StaffGroup)
                            .col(UnitHeadCount::Band),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UnitHeadCount::Table, UnitHeadCount::OrgUnitId)
                            .to(OrgUnit::Table, OrgUnit::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UnitHeadCount::Table).to_owned())
            .await
    }
}
