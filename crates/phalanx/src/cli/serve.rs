//! `serve`: the local gateway with the handlers in process.

use crate::service::Service;

/// `serve [--port N] [--host ADDR] [--stage NAME]`.
#[derive(clap::Args, Debug)]
pub(crate) struct ServeArgs {
    /// The port (0 picks a free one; the URL is printed).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The stage to serve (default: the API's).
    #[arg(long)]
    stage: Option<String>,
}

/// Serves until Ctrl-C.
pub(crate) fn run(service: &Service, args: &ServeArgs) -> Result<(), String> {
    let (host, port) = (args.host.as_str(), args.port);
    let gateway = service
        .gateway(args.stage.as_deref())
        .map_err(|e| format!("{}: {e}", service.name()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((host, port))
            .await
            .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
        phalanx_gateway::server::print_banner(service.name(), &gateway, addr);
        phalanx_gateway::server::serve(listener, gateway, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
    })
}
