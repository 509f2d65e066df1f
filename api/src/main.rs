use clap::Parser;

// glibc's allocator took a third of the server's CPU under ingest (its
// consolidation and free-list walks, profiled with perf); mimalloc keeps
// per-thread pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = agentmon_api::cli::Cli::parse();
    agentmon_api::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("agentmon: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(agentmon_api::commands::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("agentmon: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
