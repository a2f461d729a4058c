# Multi-stage build: compile with the Rust version Cargo.toml declares (`rust-version`), run on
# distroless (glibc, CA certificates, no shell, no package manager) as its non-root user.
# libpq and OpenSSL are compiled into the binary (pq-sys `bundled`, openssl-sys `vendored`), so
# the build needs only the Rust image's gcc, make and perl, and the runtime only glibc.
# Not built in CI (no container engine runs on the project's machines): see docs/DEPLOY.md.
FROM rust:1.95.0-bookworm AS build
WORKDIR /src

# Dependencies first, in a layer of their own: stand-ins for every target Cargo.toml names, so
# that the real build below recompiles only this package when the sources change.
COPY Cargo.toml Cargo.lock build.rs ./
RUN mkdir -p src tests/api \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && echo 'fn main() {}' > tests/api/main.rs \
    && cargo build --release --locked --bin signin \
    && rm -rf src tests target/release/.fingerprint/signin-* target/release/deps/signin-* \
        target/release/deps/libsignin-* target/release/signin

COPY . .
RUN cargo build --release --locked --bin signin \
    && mkdir -p /out/app \
    && cp target/release/signin /out/signin

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/signin /usr/local/bin/signin
# The working directory is the non-root user's, so that a SQLite DATABASE_URL (the default is
# data/app.sqlite3 under it) can be written; mount a volume there to keep it.
COPY --from=build --chown=nonroot:nonroot /out/app /app
WORKDIR /app
USER nonroot:nonroot
# Production unless told otherwise: development defaults and `serve --dev` are then refused.
ENV APP_ENV=production BIND_ADDR=0.0.0.0:8000 LOG_FORMAT=json
EXPOSE 8000
# GET /readyz on BIND_ADDR (0.0.0.0 asked on 127.0.0.1): 200 or unhealthy, without curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/signin", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/signin"]
CMD ["serve"]
