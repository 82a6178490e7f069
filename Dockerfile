# riskstream application image: the worker, the API/UI and the CLI.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY contracts contracts
COPY features features
COPY rules rules
COPY models models
COPY scoring scoring
COPY pipeline pipeline
COPY review_queue review_queue
COPY training training
COPY simulator simulator
COPY riskstream riskstream
COPY bench bench
COPY db db
COPY access access
COPY audit audit
COPY disputes disputes
COPY monitoring monitoring
COPY sca sca
RUN pip install .
# /data/models exists in the image so the named volume mounted there starts owned by
# the riskstream user (Docker copies the directory's ownership into an empty volume).
RUN useradd --create-home --uid 10001 riskstream && mkdir -p /data/models \
    && chown -R riskstream /data
USER riskstream
ENV RISKSTREAM_DATA_DIR=/data
ENTRYPOINT ["riskstream"]
CMD ["--help"]
