//! Leases: work that one instance at a time should do (sending the
//! notifications) is done by whoever holds the lease. The holder renews it
//! on every round; when it stops (a crash, a shutdown), the lease runs out
//! and another instance takes over on its next round.

use super::Db;

/// Takes or renews the lease `name` for `holder` until `until` (ms), if it
/// is free, expired at `now`, or `holder`'s already. One statement, so two
/// instances asking at once cannot both get it. Whether `holder` holds it.
pub async fn hold(
    db: &Db,
    name: &str,
    holder: &str,
    now: i64,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let taken = sqlx::query(
        "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at <= $4",
    )
    .bind(name)
    .bind(holder)
    .bind(until)
    .bind(now)
    .execute(db)
    .await?;
    Ok(taken.rows_affected() == 1)
}

/// Gives the lease up (at shutdown), so that another instance need not wait
/// for it to run out.
pub async fn release(db: &Db, name: &str, holder: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(db)
        .await?;
    Ok(())
}
