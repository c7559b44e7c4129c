//! The demo issuer's official directory (`directory::demo::entries`: 24 countries, several
//! service lines and tiers, fictional numbers), stored on `serve --demo`. Storing it again
//! updates the same rows, so a restart changes nothing.

use store::{Effects, Store};

pub async fn seed(store: &dyn Store, now: jiff::Timestamp) -> anyhow::Result<()> {
    let entries = directory::demo::entries();
    anyhow::ensure!(!entries.is_empty(), "the demo directory is empty");
    store
        .upsert_directory_entries(&entries, now, Effects::none())
        .await?;
    Ok(())
}
