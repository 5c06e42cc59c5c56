# syntax=docker/dockerfile:1
# One image for every SHiFT service: `shift serve {parser|planner|executor|cache} ...`.
# Build: docker build -t ghcr.io/example/shift:0.1.0 .

# --- build: install the distribution and its executor/model extras into a virtualenv ---------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

RUN python -m venv /opt/shift
ENV PATH=/opt/shift/bin:$PATH

WORKDIR /src
COPY pyproject.toml README.md ./
COPY shift_search ./shift_search
RUN pip install '.[executor,models]'

# --- runtime: the virtualenv, a non-root user, nothing else ----------------------------------
FROM python:3.11-slim

LABEL org.opencontainers.image.title="shift" \
      org.opencontainers.image.description="SHiFT: a search engine for transfer learning" \
      org.opencontainers.image.licenses="Apache-2.0"

RUN groupadd --system --gid 10001 shift \
 && useradd --system --uid 10001 --gid shift --create-home --home-dir /home/shift \
        --shell /usr/sbin/nologin shift

COPY --from=build /opt/shift /opt/shift

# Bytecode is compiled at install time, so a read-only root filesystem works.
ENV PATH=/opt/shift/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

# Numeric, so Kubernetes can verify runAsNonRoot.
USER 10001:10001
WORKDIR /home/shift
EXPOSE 50051
STOPSIGNAL SIGTERM

ENTRYPOINT ["shift"]
CMD ["--help"]
