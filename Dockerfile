# agentmon: one image for API replicas (`agentmon serve --no-worker`) and
# workers (`agentmon worker`).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p agentmon-api

FROM node:20-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /app agentmon
WORKDIR /app
COPY --from=build /src/target/release/agentmon /usr/local/bin/agentmon
COPY --from=web /web /app/web
USER agentmon
ENV AGENTMON_LISTEN=0.0.0.0:8080 AGENTMON_WEB_DIR=/app/web AGENTMON_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["agentmon"]
CMD ["serve", "--no-worker"]
