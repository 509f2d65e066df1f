# agentmon: one image for API replicas (`agentmon serve --no-worker`) and
# workers (`agentmon worker`). The dashboard and its browser libraries are
# inside the binary: npm installs the libraries before cargo builds it.
FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
COPY --from=web /src/web/node_modules web/node_modules
RUN cargo build --release --locked -p agentmon-api

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /app agentmon \
 && mkdir -p /app/data && chown agentmon /app/data
WORKDIR /app
COPY --from=build /src/target/release/agentmon /usr/local/bin/agentmon
USER agentmon
ENV AGENTMON_LISTEN=0.0.0.0:8080 AGENTMON_LOG_FORMAT=json AGENTMON_DATA_DIR=/app/data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["agentmon"]
CMD ["serve", "--no-worker"]
