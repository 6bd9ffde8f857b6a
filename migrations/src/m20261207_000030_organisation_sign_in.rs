//! Password sign-in is each organisation's to close: an administrator of
//! one trust could otherwise switch passwords off (or on) for every
//! organisation of the system. `organisation.password_break_glass_only`
//! replaces the deployment-wide `app_setting` row `password_sign_in`;
//! a deployment that had closed it keeps every organisation closed.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisation {
    Table,
    PasswordBreakGlassOnly,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organisation::Table)
                    .add_column(
                        ColumnDef::new(Organisation::PasswordBreakGlassOnly)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE organisation SET password_break_glass_only = TRUE WHERE EXISTS \
             (SELECT 1 FROM app_setting WHERE name = 'password_sign_in' \
             AND value = 'break_glass_only')",
        )
        .await?;
        db.execute_unprepared("DELETE FROM app_setting WHERE name = 'password_sign_in'")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Back to one switch for the deployment: closed only if every
        // organisation had closed it (no one loses a way in).
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO app_setting (name, value, updated_at) \
             SELECT 'password_sign_in', 'break_glass_only', CURRENT_TIMESTAMP \
             WHERE EXISTS (SELECT 1 FROM organisation) \
             AND NOT EXISTS (SELECT 1 FROM organisation WHERE NOT password_break_glass_only)",
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organisation::Table)
                    .drop_column(Organisation::PasswordBreakGlassOnly)
                    .to_owned(),
            )
            .await
    }
}
