# Multi-stage build: compile in the Rust image, run in a small Debian image as a non-root user.
# (No Docker engine runs on the development machines of this project: this file is written and
# reviewed, not built there; see docs/DEPLOY.md.)
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so that source edits do not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
    && cargo build --release --locked || true
COPY . .
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin signin

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --create-home signin
COPY --from=build /src/target/release/signin /usr/local/bin/signin
USER signin
WORKDIR /app
# Production unless told otherwise: `serve --dev` is then refused (docs/DEPLOY.md).
ENV APP_ENV=production BIND_ADDR=0.0.0.0:8000 LOG_FORMAT=json
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/signin"]
CMD ["serve"]
