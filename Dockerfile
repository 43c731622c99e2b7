# mailroom's container image (see README, "Operations"): Debian bookworm with Tesseract
# (German, Danish, English), poppler's tools, and the release binary built in a
# builder stage.
#
#   docker build -t mailroom .
#   docker run -d -p 8080:8080 \
#     -v /etc/mailroom:/etc/mailroom:ro \
#     -v /srv/mailroom/inbox:/srv/mailroom/inbox \
#     -v mailroom-var:/var/lib/mailroom mailroom
#   docker exec -it <container> mailroom user add alice --role admin

FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libtesseract-dev libleptonica-dev clang libclang-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin mailroom \
 && strip target/release/mailroom

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-deu tesseract-ocr-dan tesseract-ocr-eng tesseract-ocr-script-latn \
      poppler-utils ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/mailroom --shell /usr/sbin/nologin mailroom \
 && install -d -o mailroom -g mailroom /var/lib/mailroom /srv/mailroom/inbox /etc/mailroom
COPY --from=build /src/target/release/mailroom /usr/local/bin/mailroom
# The default config: absolute paths on the volumes below. Mount your own
# /etc/mailroom (mailroom.toml, and doctypes/ or calibration.json to override the
# built-in ones) to change it.
COPY deploy/mailroom.toml /etc/mailroom/mailroom.toml
# config: /etc/mailroom; files to read: /srv/mailroom/inbox; the ledger, blobs,
# archive and outbox: /var/lib/mailroom (back it up with `mailroom backup`).
VOLUME ["/etc/mailroom", "/srv/mailroom/inbox", "/var/lib/mailroom"]
USER mailroom
WORKDIR /var/lib/mailroom
ENV MAILROOM_LOG=info MAILROOM_LOG_FORMAT=json
EXPOSE 8080
# /healthz answers without a token; bash's /dev/tcp, as the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# tini forwards SIGTERM (docker stop) so mailroom finishes the pages it is reading.
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/mailroom", "--config", "/etc/mailroom/mailroom.toml"]
CMD ["run"]
