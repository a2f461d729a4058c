//! The benchmark's baseline: a bare actix-web handler of ours returning a small HTML page, with
//! the same worker count as the service. It is the most this machine can serve over HTTP/1.1,
//! so the service's figures are reported as a ratio to it (`bench/run.sh`).
//!
//! Usage: `baseline [ADDR]` (default 127.0.0.1:18001).

use actix_web::{App, HttpResponse, HttpServer, web};

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Baseline</title><link rel="stylesheet" href="/static/app.css"></head>
<body><header class="topbar"><a class="brand" href="/">Baseline</a></header>
<main id="main"><section class="card"><h1>Hello</h1><p>A small static page from a bare actix-web handler.</p></section></main>
</body>
</html>
"#;

async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(PAGE)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18001".into());
    HttpServer::new(|| App::new().route("/", web::get().to(page)))
        .bind(&addr)?
        .run()
        .await
}
