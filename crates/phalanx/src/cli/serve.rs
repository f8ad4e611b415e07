//! `serve`: the local gateway with the handlers in process.

use crate::service::Service;

/// Serves until Ctrl-C.
pub(crate) fn run(
    service: &Service,
    host: &str,
    port: u16,
    stage: Option<&str>,
) -> Result<(), String> {
    let gateway = service
        .gateway(stage)
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
