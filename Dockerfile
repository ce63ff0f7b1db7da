# The AWS Batch child's image: `edgetwin sweep cell s3://…/plan.toml` runs one cell of a sweep (README "Sweeps
# on AWS Batch"). Build: docker build -t edgetwin . — CI does not build it (no Docker engine there).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p edgetwin

# A slim runtime: the binary and the CA roots its HTTPS client needs. The console's window libraries are loaded
# only when a window opens, which a child never does.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/edgetwin /usr/local/bin/edgetwin
# Batch sets AWS_BATCH_JOB_ARRAY_INDEX and the region; credentials come from the job's role.
ENTRYPOINT ["edgetwin"]
