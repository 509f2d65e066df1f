//! One module per `agentmon` command.

mod backup;
mod generate;
mod key;
mod org;
mod replay;
pub mod serve;
mod signals;
mod token;
mod worker;

use crate::cli::{Cli, Command};
use crate::storage::Storage;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(&cli.storage, &cli.auth, args).await,
        Command::Migrate => {
            let storage = Storage::open(&cli.storage).await?;
            println!("database is up to date");
            storage.close();
            Ok(())
        }
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::Org(command) => org::run(&cli.storage, command).await,
        Command::Token(args) => token::run(&cli.storage, &cli.auth, args),
        Command::Key(command) => key::run(&cli.storage, &cli.auth, command).await,
        Command::Worker(args) => worker::run(&cli.storage, args).await,
        Command::Replay(args) => replay::run(&cli.storage, args).await,
        Command::Generate(args) => generate::run(&cli.storage, &cli.auth, args).await,
        Command::Backup { file } => backup::backup(&cli.storage, &file).await,
        Command::Restore { file } => backup::restore(&cli.storage, &file).await,
    }
}
