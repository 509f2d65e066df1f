//! `agentmon org create|update`.

use agentmon_core::storage::models::org::{NewOrg, OrgChanges};

use crate::actions::{self, operator};
use crate::cli::{OrgCommand, StorageArgs};
use crate::storage::Storage;

pub async fn run(storage_args: &StorageArgs, command: OrgCommand) -> anyhow::Result<()> {
    let storage = Storage::open(storage_args).await?;
    let result = match command {
        OrgCommand::Create {
            slug,
            name,
            timezone,
        } => {
            create(
                &storage,
                NewOrg {
                    slug,
                    name,
                    timezone,
                },
            )
            .await
        }
        OrgCommand::Update {
            slug,
            name,
            timezone,
            status,
            retention_days,
        } => {
            let changes = OrgChanges {
                name,
                timezone,
                status: status.map(|s| s.to_ascii_uppercase()),
                retention_days,
            };
            actions::orgs::update(&storage.db, &operator(), &slug, changes)
                .await
                .map(|(o, jobs)| {
                    println!(
                        "updated org {} ({}), time zone {}, {}, keeps {} days",
                        o.slug, o.name, o.timezone, o.status, o.retention_days
                    );
                    for job in jobs {
                        println!(
                            "{} queued as job {}: a running worker (`serve` or `agentmon worker`) applies it",
                            job.kind, job.id
                        );
                    }
                })
                .map_err(Into::into)
        }
    };
    storage.close();
    result
}

async fn create(storage: &Storage, new: NewOrg) -> anyhow::Result<()> {
    let created = actions::orgs::create(&storage.db, &operator(), &new).await?;
    println!(
        "created org {} ({}), time zone {}, id {}",
        created.slug, created.name, created.timezone, created.id
    );
    Ok(())
}
