//! Badges and the key that signs them:
//!
//! - `issuer_key`: the organisation's Ed25519 signing keys. The newest signs;
//!   every one stays published, so badges signed before a new key still
//!   verify. Generated on first use; the private half never leaves the
//!   server (not in exports, not in logs).
//! - `badge`: a recognised skill level (for now, a level of Practitioner or
//!   above agreed by the person's manager), which the person can download
//!   as a signed Open Badges 3.0 credential, hide from others, and HR can
//!   revoke.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IssuerKey {
    Table,
    Id,
    Kid,
    PublicKey,
    PrivateKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Badge {
    Table,
    Id,
    Uuid,
    PersonId,
    SkillCode,
    SkillName,
    Level,
    Source,
    Evidence,
    AwardedBy,
    IssuedAt,
    Hidden,
    RevokedAt,
    RevokedReason,
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
                    .table(IssuerKey::Table)
                    .col(pk_auto(IssuerKey::Id))
                    // RFC 7638 thumbprint of the public key.
                    .col(string_uniq(IssuerKey::Kid))
                    // The raw 32-byte Ed25519 public key, base64url.
                    .col(string(IssuerKey::PublicKey))
                    // PKCS#8, base64.
                    .col(text(IssuerKey::PrivateKey))
                    .col(timestamp_with_time_zone(IssuerKey::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Badge::Table)
                    .col(pk_auto(Badge::Id))
                    // The credential's id (urn:uuid:...), stable across downloads.
                    .col(string_uniq(Badge::Uuid))
                    .col(integer(Badge::PersonId))
                    .col(string(Badge::SkillCode))
                    // As the framework named it when the badge was issued.
                    .col(string(Badge::SkillName))
                    .col(small_integer(Badge::Level))
                    // "agreed-level" (later also "pathway").
                    .col(string(Badge::Source))
                    .col(text(Badge::Evidence))
                    .col(string_null(Badge::AwardedBy))
                    .col(timestamp_with_time_zone(Badge::IssuedAt))
                    .col(boolean(Badge::Hidden).default(false))
                    .col(timestamp_with_time_zone_null(Badge::RevokedAt))
                    .col(string_null(Badge::RevokedReason))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Badge::Table, Badge::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One badge per person, skill and level.
        manager
            .create_index(
                Index::create()
                    .name("idx_badge_person_skill_level")
                    .table(Badge::Table)
                    .col(Badge::PersonId)
                    .col(Badge::SkillCode)
                    .col(Badge::Level)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Badge::Table.into_iden(), IssuerKey::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
