# The watchparty server, with its embedded database on the /data volume.
#   docker build -t watchparty .
#   docker run -p 8080:8080 -v watchparty-data:/data watchparty
# BASE is any Debian-like image with Python 3.11 or later and its venv module.
ARG BASE=python:3.12-slim

FROM ${BASE} AS build
WORKDIR /src
COPY setup.cfg setup.py README.md ./
COPY watchparty ./watchparty
COPY templates ./templates
COPY static ./static
COPY clients/js/src ./clients/js/src
RUN python3 -m venv /opt/watchparty \
    && /opt/watchparty/bin/pip install --no-cache-dir --disable-pip-version-check '.[fast]' \
    && find /opt/watchparty -name '__pycache__' -prune -exec rm -rf {} +

FROM ${BASE}
# The release, set by the build (scripts/container-test passes the package's).
ARG VERSION=dev
LABEL org.opencontainers.image.title="watchparty" \
      org.opencontainers.image.description="Watch videos together, in sync, from a shared link." \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}"
RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin watchparty \
    && mkdir -p /data && chown watchparty:watchparty /data
COPY --from=build /opt/watchparty /opt/watchparty
ENV PATH=/opt/watchparty/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=8080 \
    WATCHPARTY_DATA_DIR=/data
USER watchparty
WORKDIR /data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "watchparty.probe"]
# Exec form: SIGTERM reaches the server, which stops gracefully and exits 0.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "watchparty"]
