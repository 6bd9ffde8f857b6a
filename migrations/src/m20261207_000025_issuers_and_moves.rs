//! Each organisation its own badge issuer, and people who move between
//! organisations of the system.
//!
//! - `badge.organisation_id`: the organisation that issued the badge (its
//!   holder's when it was awarded). A badge keeps its issuer when its
//!   holder moves, so it still verifies against the organisation that
//!   issued it. Existing badges were issued by their holder's organisation.
//! - `issuer_key.organisation_id`: whose key it is. Keys made before this
//!   migration keep none: they are the deployment's first issuer
//!   (`/issuer`), kept so the credentials they signed still verify; every
//!   organisation signs from now on with keys of its own
//!   (`/issuer/{code}`).
//! - `person_move`: a person's moves between organisations of the system
//!   (the transfer HR does), so their new organisation can see where their
//!   agreed levels and badges were agreed and issued.
//! - Covering indexes for the organisation view's head counts (people by
//!   unit, staff group and band; their pipeline stage and digital
//!   foundation): the workforce lead's system view groups every person of
//!   every organisation, and reads these indexes instead of the tables.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PersonMove {
    Table,
    Id,
    PersonId,
    FromOrganisationId,
    ToOrganisationId,
    MovedAt,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in ["badge", "issuer_key"] {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ADD COLUMN organisation_id INTEGER NULL \
                 REFERENCES organisation (id)"
            ))
            .await?;
        }
        db.execute_unprepared(
            "UPDATE badge SET organisation_id = \
             (SELECT p.organisation_id FROM person p WHERE p.id = badge.person_id)",
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(PersonMove::Table)
                    .col(pk_auto(PersonMove::Id))
                    .col(integer(PersonMove::PersonId))
                    .col(integer(PersonMove::FromOrganisationId))
                    .col(integer(PersonMove::ToOrganisationId))
                    .col(timestamp_with_time_zone(PersonMove::MovedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PersonMove::Table, PersonMove::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PersonMove::Table, PersonMove::FromOrganisationId)
                            .to(Organisation::Table, Organisation::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PersonMove::Table, PersonMove::ToOrganisationId)
                            .to(Organisation::Table, Organisation::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_person_move_person")
                    .table(PersonMove::Table)
                    .col(PersonMove::PersonId)
                    .to_owned(),
            )
            .await?;
        for sql in HEAD_COUNT_INDEXES {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for name in ["idx_person_head_count", "idx_person_capability_head_count"] {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        manager
            .drop_table(Table::drop().table(PersonMove::Table).to_owned())
            .await?;
        for table in ["badge", "issuer_key"] {
            db.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN organisation_id"))
                .await?;
        }
        Ok(())
    }
}

/// What the organisation view's two head-count queries group by, in their
/// order, so both read an index alone.
const HEAD_COUNT_INDEXES: [&str; 2] = [
    "CREATE INDEX idx_person_head_count ON person (org_unit_id, staff_group, band)",
    "CREATE INDEX idx_person_capability_head_count ON person_capability \
     (org_unit_id, staff_group, band, lead_domains, digital, interest_short)",
];
