use clap::Parser;
use leadline::app::cli::{Cli, Command};
use leadline::app::startup;
use leadline::error::AppError;
use leadline::platform::{config::Config, Clock};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LEADLINE_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        println!("{:#}", leadline::api::openapi::document());
        return std::process::ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("error: {message}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Command::Key(leadline::app::cli::KeyCommand::Scan { files }) = &command {
        let (found, errors, code) = leadline::app::cli::scan(files);
        found.iter().for_each(|line| println!("{line}"));
        errors.iter().for_each(|line| eprintln!("error: {line}"));
        return std::process::ExitCode::from(code);
    }
    // Only the browser tests set this: it lets them move the server's time.
    // A build without the test-clock feature refuses it rather than ignore it.
    let clock = match std::env::var_os("LEADLINE_TEST_CLOCK_FILE") {
        #[cfg(feature = "test-clock")]
        Some(path) => {
            eprintln!("warning: LEADLINE_TEST_CLOCK_FILE is set: the server's time follows {path:?} (tests only)");
            Clock::offset_by_file(path.into())
        }
        #[cfg(not(feature = "test-clock"))]
        Some(_) => {
            eprintln!("error: LEADLINE_TEST_CLOCK_FILE is set, but this build has no test clock (the test-clock feature, for the browser tests only)");
            return std::process::ExitCode::FAILURE;
        }
        None => Clock::system(),
    };
    let state = match startup::prepare(config, clock).await {
        Ok(state) => state,
        Err(error) => {
            eprintln!("error: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = match command {
        Command::Serve => startup::serve(state).await.map(|()| None),
        Command::Migrate => {
            eprintln!("Database is up to date.");
            Ok(None)
        }
        other => leadline::app::cli::run(&state, other).await,
    };
    match result {
        Ok(Some(output)) => {
            println!("{output}");
            std::process::ExitCode::SUCCESS
        }
        Ok(None) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            match error.downcast_ref::<AppError>() {
                Some(AppError::Validation(fields)) => {
                    for f in fields {
                        eprintln!("error: {}", f.message);
                    }
                }
                _ => eprintln!("error: {error}"),
            }
            std::process::ExitCode::FAILURE
        }
    }
}
