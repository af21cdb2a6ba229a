//! The `sealsync` controller binary. For now it only reports its version.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("version") | Some("--version") | Some("-V") => {
            println!("sealsync {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        other => {
            let what = other.unwrap_or("nothing");
            eprintln!("error: unknown command: {what}");
            eprintln!(
                "hint: the controller is not built yet; `sealsync version` is the only command"
            );
            ExitCode::from(2)
        }
    }
}
