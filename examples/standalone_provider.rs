//! The dev provider as its own process, auto-approving with `login_hint`, so that a fault run
//! can stop the service without stopping its "Google" (`bench/sigterm.sh`). In `serve --dev`
//! the provider shares the service's listener, and a SIGTERM would cut the service's own
//! in-flight token calls: an artefact of dev mode, not something a real deployment has.
//!
//! Usage: `standalone_provider PORT APP_CALLBACK_URL` (client `bench-client` / `bench-secret`).

use signin::dev_provider::{DevKeys, ProviderSettings, spawn_standalone};
use std::sync::Arc;

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: standalone_provider PORT APP_CALLBACK_URL");
        std::process::exit(2);
    }
    let listener = std::net::TcpListener::bind(format!("127.0.0.1:{}", args[1]))?;
    let keys = Arc::new(DevKeys::generate_pair().map_err(std::io::Error::other)?);
    let running = spawn_standalone(
        listener,
        ProviderSettings {
            issuer: format!("http://127.0.0.1:{}", args[1]),
            client_id: "bench-client".into(),
            client_secret: "bench-secret".into(),
            redirect_uris: vec![args[2].clone()],
            auto_approve: true,
            shape: Default::default(),
        },
        keys,
        1,
    )?;
    println!("provider listening on 127.0.0.1:{}", running.port);
    tokio::signal::ctrl_c().await?;
    running.handle.stop(true).await;
    Ok(())
}
