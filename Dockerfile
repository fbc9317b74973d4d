# One image for the whole fleet; the command chooses the service:
#   docker run cs-negotiator csn serve context_agent
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CSN_HOST=0.0.0.0 \
    CSN_VAR_DIR=/app/var \
    CSN_POLICY_DIR=/app/policies \
    CSN_MOCK_DATA=/app/mock_cs_service/data/orders.json \
    CSN_MODEL_DIR=/app/models

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
COPY shared/ shared/
COPY csn/ csn/
COPY coordinator_agent/ coordinator_agent/
COPY context_agent/ context_agent/
COPY negotiation_agent/ negotiation_agent/
COPY mock_cs_service/ mock_cs_service/
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin csn \
    && mkdir -p /app/var \
    && chown csn:csn /app/var \
    && python -c "from shared.language.reader import load_reader; load_reader()"

COPY policies/ policies/

USER csn
VOLUME ["/app/var"]
EXPOSE 9000 9001 9002 9003

HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('CSN_PORT', '9000') + '/healthz', timeout=2)"]

CMD ["csn", "serve", "coordinator_agent"]
