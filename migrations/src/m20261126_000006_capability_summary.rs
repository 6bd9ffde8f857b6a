//! Capability summaries kept up to date as assessments, people and role
//! requirements change, so the organisation view reads a few hundred rows
//! instead of every assessment:
//!
//! - `unit_skill_stat`: per org unit (its own members, not its subtree) and
//!   skill, how many people assessed it (by effective level) and how many of
//!   those whose role requires it meet the requirement;
//! - `person_capability`: per assessed person, the inputs of the
//!   integrative-leader pipeline and the digital-inclusion measure;
//! - `unit_domain_month`: per unit, domain and month, required and meeting
//!   counts at the end of that month (the current month changes as people
//!   work), for the trend chart.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UnitSkillStat {
    Table,
    OrgUnitId,
    SkillCode,
    Assessed,
    Agreed,
    Required,
    Meeting,
    L0,
    L1,
    L2,
    L3,
    L4,
}

#[derive(DeriveIden)]
enum PersonCapability {
    Table,
    PersonId,
    OrgUnitId,
    StaffGroup,
    Band,
    LeadDomains,
    Digital,
}

#[derive(DeriveIden)]
enum UnitDomainMonth {
    Table,
    OrgUnitId,
    Month,
    DomainCode,
    Required,
    Meeting,
}

#[derive(DeriveIden)]
enum OrgUnit {
    Table,
    Id,
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
                    .table(UnitSkillStat::Table)
                    .col(integer(UnitSkillStat::OrgUnitId))
                    .col(string(UnitSkillStat::SkillCode))
                    .col(integer(UnitSkillStat::Assessed))
                    .col(integer(UnitSkillStat::Agreed))
                    .col(integer(UnitSkillStat::Required))
                    .col(integer(UnitSkillStat::Meeting))
                    .col(integer(UnitSkillStat::L0))
                    .col(integer(UnitSkillStat::L1))
                    .col(integer(UnitSkillStat::L2))
                    .col(integer(UnitSkillStat::L3))
                    .col(integer(UnitSkillStat::L4))
                    .primary_key(
                        Index::create()
                            .col(UnitSkillStat::OrgUnitId)
                            .col(UnitSkillStat::SkillCode),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UnitSkillStat::Table, UnitSkillStat::OrgUnitId)
                            .to(OrgUnit::Table, OrgUnit::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PersonCapability::Table)
                    .col(integer(PersonCapability::PersonId).primary_key())
                    .col(integer(PersonCapability::OrgUnitId))
                    .col(string(PersonCapability::StaffGroup))
                    .col(string(PersonCapability::Band))
                    // Domains with an agreed Practitioner level or above.
                    .col(small_integer(PersonCapability::LeadDomains))
                    // "below", "working" or "unassessed" (foundation skills).
                    .col(string(PersonCapability::Digital))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PersonCapability::Table, PersonCapability::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_person_capability_unit")
                    .table(PersonCapability::Table)
                    .col(PersonCapability::OrgUnitId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UnitDomainMonth::Table)
                    .col(integer(UnitDomainMonth::OrgUnitId))
                    // "2026-11".
                    .col(string(UnitDomainMonth::Month))
                    .col(string(UnitDomainMonth::DomainCode))
                    .col(integer(UnitDomainMonth::Required))
                    .col(integer(UnitDomainMonth::Meeting))
                    .primary_key(
                        Index::create()
                            .col(UnitDomainMonth::OrgUnitId)
                            .col(UnitDomainMonth::Month)
                            .col(UnitDomainMonth::DomainCode),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UnitDomainMonth::Table, UnitDomainMonth::OrgUnitId)
                            .to(OrgUnit::Table, OrgUnit::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            UnitDomainMonth::Table.into_iden(),
            PersonCapability::Table.into_iden(),
            UnitSkillStat::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
