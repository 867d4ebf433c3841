//! The `sessionpay` command.

mod fetch;

fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
