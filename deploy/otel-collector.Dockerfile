# The contrib collector plus a static busybox, only so that the container can check its own health.
#
# otel/opentelemetry-collector-contrib is built FROM scratch: no shell, no wget or curl, so a compose healthcheck
# cannot reach the health_check extension (:13133) from inside the container. busybox:*-musl is a static binary
# (CONFIG_STATIC=y), which runs on scratch. Build context: deploy/ (nothing is copied from it).
ARG OTELCOL_IMAGE=otel/opentelemetry-collector-contrib:0.130.0
ARG BUSYBOX_IMAGE=busybox:1.36-musl

FROM ${BUSYBOX_IMAGE} AS busybox

FROM ${OTELCOL_IMAGE}
COPY --from=busybox /bin/busybox /busybox
# healthcheck: ["CMD", "/busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:13133/"]
