# One image for every Signaal service; compose.yaml picks the command.
# The image is production by default: it refuses to start without SIGNAAL_SECRET_KEY, since it
# listens on every interface. `python:3.11-slim` follows 3.11's newest patch release, which
# carries the email header fixes Signaal's production start-up check asks for.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    SIGNAAL_ENV=production \
    SIGNAAL_HOST=0.0.0.0 \
    SIGNAAL_LOG_FORMAT=json

# Refuse an interpreter without the email header-injection fix (CVE-2024-6923) at build time.
RUN python -c "import sys; assert sys.version_info >= (3, 11, 10), sys.version"
WORKDIR /app
RUN useradd --system --create-home --home-dir /home/signaal signaal

# Dependencies first, so code changes do not reinstall them. The CPU build of
# torch comes from PyTorch's CPU index; everything else is pinned by constraints.txt.
COPY pyproject.toml constraints.txt README.md ./
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
 && grep -v '^torch==' constraints.txt > /tmp/constraints.txt \
 && mkdir -p shared services && touch shared/__init__.py services/__init__.py \
 && pip install -c /tmp/constraints.txt . \
 && pip uninstall -y signaal

COPY shared ./shared
COPY services ./services
COPY models ./models
COPY config.example.yaml ./
RUN pip install --no-deps . && mkdir -p /app/var && chown signaal /app/var

USER signaal
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')" || exit 1
CMD ["signaal", "run"]
